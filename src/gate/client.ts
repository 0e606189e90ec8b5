/**
 * The one client of the account gate (gate/object.ts), for every caller: the
 * data plane's checks and reports, the admin operations' changes, and usage
 * reads. One error policy for all of them: an error the runtime marks
 * retryable (and not overloaded) is retried once, never more, so an outage
 * does not become a retry storm; anything else, or a second failure, is a
 * 503 `SERVICE_UNAVAILABLE` (with the caller's message, if it has one). A
 * caller that can do without the gate catches it and says so.
 *
 * A change that must hold everywhere (a revocation, a reload after an admin
 * write, a rotation's expiry) returns once the last lease granted before it
 * has ended: the gate answers with that time and this client waits for it,
 * so the gate itself never waits.
 */
import { serviceUnavailable } from "../errors";
import type { ClaimRequest, ClaimResult, SettleRequest } from "../idempotency/protocol";
import type { RequestStats } from "../stats";
import type { LeaseBook } from "./leases";
import type { AccountGate, Fenced } from "./object";
import type { CheckRequest, CheckResult, ReportRequest } from "./protocol";
import type { UsageRow } from "./usage";

type Gate = DurableObjectStub<AccountGate>;

export interface GateClientOptions {
  /** Counts every call (objectCalls, accountGateCalls) for the request's log line. */
  stats?: Pick<RequestStats, "objectCalls" | "accountGateCalls">;
  /** The message of the 503 when the gate cannot be reached. */
  unavailable?: string;
}

function isRetryable(error: unknown): boolean {
  const flags = error as { retryable?: boolean; overloaded?: boolean } | null;
  return flags?.retryable === true && flags.overloaded !== true;
}

/** Resolves once the local clock has passed `at`. */
const until = (at: number) =>
  new Promise<void>((resolve) => {
    const wait = at - Date.now();
    if (wait <= 0) resolve();
    else setTimeout(resolve, wait);
  });

/**
 * One Durable Object call under the one error policy: retried once when the
 * runtime marks the error retryable (and not overloaded), else a 503.
 * Counted in `stats` (every call; `toGate`: a call to the account's gate).
 */
async function callObject<T>(options: GateClientOptions, toGate: boolean, send: () => Promise<unknown>): Promise<T> {
  const { stats } = options;
  for (let attempt = 1; ; attempt++) {
    if (stats) {
      stats.objectCalls++;
      if (toGate) stats.accountGateCalls++;
    }
    try {
      return (await send()) as T;
    } catch (error) {
      if (attempt === 1 && isRetryable(error)) continue;
      throw serviceUnavailable(error, options.unavailable);
    }
  }
}

export class GateClient {
  constructor(
    private readonly namespace: DurableObjectNamespace<AccountGate>,
    private readonly options: GateClientOptions = {},
  ) {}

  /** One call to the account's gate, under the one error policy (RPC stubs type their answers loosely: `T` says it). */
  private call<T>(accountId: string, send: (gate: Gate) => Promise<unknown>): Promise<T> {
    return callObject<T>(this.options, true, () => send(this.namespace.getByName(accountId)));
  }

  /** Decides a request (or refreshes leases), delivering what the caller owes. */
  check(request: CheckRequest): Promise<CheckResult> {
    return this.call(request.accountId, (gate) => gate.check(request));
  }

  /** Decides an idempotent request and claims its Idempotency-Key, in one call (idempotency/book.ts). */
  claim(request: ClaimRequest): Promise<ClaimResult> {
    return this.call(request.accountId, (gate) => gate.claim(request));
  }

  /** Keeps (or forgets) the answer to a claimed request; false when its mark had expired. */
  settle(request: SettleRequest): Promise<boolean> {
    return this.call(request.accountId, (gate) => gate.settle(request));
  }

  /** Delivers what the caller owes, deciding nothing. */
  report(request: ReportRequest): Promise<void> {
    return this.call(request.accountId, (gate) => gate.report(request));
  }

  /** Asks the gate nothing: the ms it spent answering (its start, if the call started it), to measure its distance (distance.ts). */
  ping(accountId: string): Promise<number> {
    return this.call(accountId, (gate) => gate.ping());
  }

  /**
   * The usage rows the gate holds and each key's last use, after handing it
   * what `leases` (this isolate) still owes the account; put back if the call fails.
   */
  async live(accountId: string, leases?: LeaseBook): Promise<{ rows: UsageRow[]; lastUsed: Record<string, number> }> {
    const owed = { accountId, ...leases?.takeOwed(accountId, Date.now()) };
    try {
      return await this.call(accountId, (gate) => gate.live(owed));
    } catch (error) {
      leases?.restoreOwed(owed);
      throw error;
    }
  }

  /** This period's quota use, or null without a quota. */
  quotaUsage(accountId: string): Promise<{ used: number; resetAt: number } | null> {
    return this.call(accountId, (gate) => gate.quotaUsage(accountId));
  }

  /** Has the gate read a key's policy from D1 again; returns once it holds everywhere. */
  async refreshKey(accountId: string, keyId: string): Promise<void> {
    await this.fenced(accountId, (gate) => gate.refreshKey(keyId));
  }

  /** Has the gate read the account's policy from D1 again; returns once it holds everywhere. */
  async refreshAccount(accountId: string): Promise<void> {
    await this.fenced(accountId, (gate) => gate.refreshAccount(accountId));
  }

  /** Revokes a key at its gate (before D1 is written: failing safe); returns once it holds everywhere. */
  async revokeKey(accountId: string, keyId: string): Promise<void> {
    await this.fenced(accountId, (gate) => gate.revokeKey(keyId));
  }

  /**
   * A rotation at the gate, before D1 is written: the key expires `graceMs`
   * from when this returns at the latest, and `successorId` shares its
   * budget. Returns the expiry set (epoch ms).
   */
  async expireKeyIn(accountId: string, keyId: string, graceMs: number, successorId?: string): Promise<number> {
    const { expiresAt } = await this.fenced<Fenced & { expiresAt: number }>(accountId, (gate) =>
      gate.expireKeyIn(keyId, graceMs, successorId),
    );
    return expiresAt;
  }

  private async fenced<T extends Fenced>(accountId: string, send: (gate: Gate) => Promise<unknown>): Promise<T> {
    const answer = await this.call<T>(accountId, send);
    await until(answer.fenceUntil);
    return answer;
  }
}

/**
 * A location's budget holder (holder.ts) as an isolate's upstream: the same
 * protocol and error policy as the gate's. The calls it makes to the
 * account's gate for a request come back as the answer's `gateCalls`.
 */
export class HolderClient {
  constructor(
    private readonly namespace: Env["BUDGET_HOLDER"],
    /** `{accountId}@{location}`: the holder of one account in one location. */
    private readonly name: string,
    private readonly options: GateClientOptions = {},
  ) {}

  check(request: CheckRequest): Promise<CheckResult> {
    return callObject(this.options, false, () => this.namespace.getByName(this.name).check(request));
  }

  report(request: ReportRequest): Promise<void> {
    return callObject(this.options, false, () => this.namespace.getByName(this.name).report(request));
  }
}
