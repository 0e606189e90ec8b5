/**
 * A caller of the account gate that holds leases: it answers a key's
 * request from a lease (no round trip), or by repeating a 429 until its
 * Retry-After, or asks its upstream, taking in what it grants; it fetches
 * the next lease ahead, and settles what it owes once a lease has ended.
 * Two kinds of caller are one of these (the tree of YouTube's Doorman):
 *
 *   isolate ──▶ location holder ──▶ account gate
 *   isolate ──────────────────────▶ account gate   (no location known)
 *
 * The isolate's upstream is its location's holder (holder.ts) or the gate;
 * the holder's upstream is the gate, and it hands parts of its leases on
 * to the isolates of its location. Both speak the gate's own protocol.
 */
import type { MaybePromise } from "../context";
import { type KeyRules, type RequestFacts, refusal, restrictionsOf } from "../restrictions/decide";
import { type Refusal, retryAfterMs } from "./headers";
import { install, type KeyState, type LeaseBook, leaseEnd, MAX_BLOCK_MS, shouldRefresh } from "./leases";
import type { CheckRequest, CheckResult, Decision, ReportRequest, UsageCounts } from "./protocol";

/** Where a caller's calls go: the account's gate, or a location's holder. */
export interface Upstream {
  check(request: CheckRequest): Promise<CheckResult>;
  report(request: ReportRequest): Promise<void>;
}

/** What a caller needs from where it runs. */
export interface CallerContext {
  /** The upstream of an account, for a call the request waits for (counted as the request's). */
  upstream(accountId: string): Upstream;
  /** The upstream for work the request leaves behind (a refresh, a settlement), and what to do once it is done. */
  later(accountId: string, task: "refresh" | "report"): { upstream: Upstream; done(): void };
  /** Keeps background work (a refresh, a settlement) alive. */
  background(work: Promise<unknown>): void;
  /** LEASE_MS: the longest lease to ask for. */
  maxLeaseMs: number;
}

/**
 * A key as a call names it: its ids, the policy versions its record names,
 * and (an isolate's) its record's scopes and restrictions, which a 429 of its
 * whole account is refused by first (that 429 carries another key's rules).
 */
export interface KeyRef {
  keyId: string;
  accountId: string;
  keyVersion?: number;
  accountVersion?: number;
  rules?: KeyRules;
}

/** What a request needs: a scope, quota units, and what the key's restrictions are decided on. */
export type Need = RequestFacts & { cost: number };

type WithoutLease<D> = D extends { lease?: unknown } ? Omit<D, "lease"> : D;

/**
 * A caller's decision: the gate's, and where it came from (a lease, a 429
 * repeated, or a call upstream: `gateCalls` says how many went to the
 * account's gate for it, directly or through a holder).
 */
export type Verdict = WithoutLease<Decision> & { source: "lease" | "blocked" | "upstream"; gateCalls?: number };

/**
 * How a request must be decided. `upstream`: by this upstream, always (never
 * from a lease, and no lease asked): an idempotent request, whose claim only
 * the account's own gate can make.
 */
export interface DecideOptions {
  upstream?: Upstream;
}

/** A lease asked for: tokens, and for how long. */
export interface Want {
  want: number;
  leaseMs: number;
}

const clampWant = (want: Want, maxLeaseMs: number): Want => ({
  want: want.want,
  leaseMs: Math.min(Math.max(want.leaseMs, 1), maxLeaseMs),
});

/** How long after a lease's end its settlement waits for a call that would carry it anyway. */
const SETTLE_DELAY_MS = 500;
/** How long before a lease's end the next one is fetched, for a key still in use (at most a quarter of the lease). */
const RENEW_LEAD_MS = 1_000;
/**
 * A key asked about this recently (whole seconds) is in use: its lease is
 * renewed ahead. At 2 s a key at one request a second (Poisson) found its
 * lease gone for one request in seven and waited on the gate; at 4 s, one
 * in fifty-five. A key that stopped costs one more renewal.
 */
const IN_USE_MS = 4_000;

const USAGE_OF: Record<"rate_limited" | "quota_exceeded", keyof UsageCounts> = {
  rate_limited: "rateLimited",
  quota_exceeded: "quotaExceeded",
};

export class LeaseCaller {
  constructor(readonly book: LeaseBook) {}

  /**
   * Decides a request of `key` that needs `need`: synchronously from a 429
   * still in force or a lease (counting its usage, to report), else with one
   * call upstream (a rejected promise if that fails: what it carried is put
   * back for the next call).
   */
  decide(ctx: CallerContext, key: KeyRef, need: Need, now: number, options: DecideOptions = {}): MaybePromise<Verdict> {
    const { book } = this;
    const state = book.stateOf(key.keyId, key.accountId, now);
    state.cost = need.cost;
    book.countDemand(state, now);
    // Every request upstream: only a rate limit's 429 is repeated (a quota's may not apply, as to a replay).
    const blocked = book.blockOf(state, options.upstream ? 0 : need.cost, now);
    // The contract's order: a request the key may not make is a 403 before any 429; by the key's own 429's
    // rules, or by its record's when the 429 is its account's (without a record's: asked, not repeated).
    const rules = blocked === state.blocked ? blocked : key.rules;
    const refused = blocked && rules && refusal(rules, need);
    if (blocked && rules && refused !== "needs_senders") {
      if (refused) {
        book.recordUsage(state, "forbidden", now);
        return { outcome: "forbidden", limits: blocked.limits, reason: refused, source: "blocked" };
      }
      book.recordUsage(state, USAGE_OF[blocked.outcome], now);
      const { outcome, limits, scopes, heldUntil } = blocked;
      return outcome === "quota_exceeded"
        ? { outcome, limits, scopes, heldUntil, source: "blocked" }
        : {
            outcome,
            policy: blocked.policy === "account" ? "account" : "key",
            limits,
            scopes,
            heldUntil,
            source: "blocked",
          };
    }
    const local = options.upstream ? null : book.fromLease(state, need, now);
    if (!local) return this.ask(ctx, key, state, need, now, options);
    book.recordUsage(state, local.outcome === "ok" ? "admitted" : "forbidden", now);
    if (local.outcome === "ok" && shouldRefresh(state, now)) this.refreshAhead(ctx, state, need, now);
    return { ...local, source: "lease" };
  }

  /** The one way a call upstream is built: the key and its need, the leases wanted, and all that is owed. */
  request(
    ctx: CallerContext,
    state: KeyState,
    need: Need,
    options: { admit: boolean; want: number; leaseMs: number; key?: KeyRef; siblingsOnly?: boolean },
    now: number,
  ): CheckRequest {
    const { key, admit, want, leaseMs, siblingsOnly } = options;
    return {
      accountId: state.accountId,
      keyId: state.keyId,
      ...(key?.keyVersion !== undefined && { keyVersion: key.keyVersion }),
      ...(key?.accountVersion !== undefined && { accountVersion: key.accountVersion }),
      ...need,
      admit,
      want,
      leaseMs,
      leases: this.book.othersToLease(state.accountId, siblingsOnly ? "" : state.keyId, now, ctx.maxLeaseMs),
      ...this.book.takeOwed(state.accountId, now),
    };
  }

  /**
   * Sends a call and takes in its answer (each new lease arms its
   * settlement); if it fails, what it carried is put back and it throws.
   */
  async send(ctx: CallerContext, upstream: Upstream, state: KeyState, request: CheckRequest): Promise<CheckResult> {
    const { book } = this;
    let result: CheckResult;
    try {
      result = await upstream.check(request);
    } catch (error) {
      book.restoreOwed(request);
      book.installOthers(state.accountId, request.leases ?? [], undefined, Date.now());
      throw error;
    }
    const now = Date.now();
    install(state, result, now);
    if (result.outcome === "ok" && result.lease) this.renewOrSettle(ctx, state);
    const asked = request.leases ?? [];
    book.installOthers(state.accountId, asked, result.others, now);
    for (const { keyId } of asked) {
      const sibling = book.stateOf(keyId, state.accountId, now);
      if (result.others?.[keyId]?.outcome === "ok" && leaseEnd(sibling) > now) this.renewOrSettle(ctx, sibling);
    }
    return result;
  }

  /** Asks upstream (one round trip), taking in any lease it grants; a 429 is remembered until its Retry-After. */
  private async ask(
    ctx: CallerContext,
    key: KeyRef,
    state: KeyState,
    need: Need,
    now: number,
    options: DecideOptions,
  ): Promise<Verdict> {
    const want = options.upstream ? { want: 0, leaseMs: 0 } : this.book.leaseWant(state, ctx.maxLeaseMs);
    const request = this.request(ctx, state, need, { admit: true, key, ...want }, now);
    const result = await this.send(ctx, options.upstream ?? ctx.upstream(key.accountId), state, request);
    const gateCalls = result.gateCalls;
    if (result.outcome === "rate_limited" || result.outcome === "quota_exceeded") {
      // Tokens this caller got meanwhile were counted already: spend them rather than strand them.
      const held = options.upstream ? null : this.book.fromLease(state, need, Date.now());
      if (held?.outcome === "ok") {
        this.book.recordUsage(state, USAGE_OF[result.outcome], now, -1);
        this.book.recordUsage(state, "admitted", now);
        return { ...held, source: "lease", gateCalls };
      }
      const policy: Refusal = result.outcome === "quota_exceeded" ? "quota" : result.policy;
      const later = Date.now();
      const wait = Math.min(retryAfterMs(result.limits, later, policy, result.heldUntil), MAX_BLOCK_MS);
      const { limits, outcome, scopes, heldUntil } = result;
      const rules = restrictionsOf(result);
      this.book.block(state, { until: later + wait, limits, outcome, policy, scopes, ...rules, heldUntil });
    }
    const { lease: _lease, others: _others, ...decision } = result as CheckResult & { lease?: unknown };
    return { ...(decision as WithoutLease<Decision>), source: "upstream", gateCalls };
  }

  /**
   * Fetches the next lease in the background, deciding no request; the answer
   * lands in `state`. `atLeast` is demand seen below (a holder's isolates
   * asking for parts of its leases), which this caller's own count misses.
   */
  refreshAhead(ctx: CallerContext, state: KeyState, need: Need, now: number, atLeast?: Want): void {
    if (state.refreshing) return;
    const own = this.book.leaseWant(state, ctx.maxLeaseMs);
    const want = atLeast && atLeast.want > own.want ? clampWant(atLeast, ctx.maxLeaseMs) : own;
    if (want.want === 0) return;
    state.refreshing = true;
    const request = this.request(ctx, state, need, { admit: false, ...want }, now);
    const { upstream, done } = ctx.later(state.accountId, "refresh");
    ctx.background(
      this.send(ctx, upstream, state, request)
        .catch(() => undefined)
        .finally(() => {
          state.refreshing = false;
          done();
        }),
    );
  }

  /**
   * What happens as a key's newest lease runs out. If the key is still in
   * use, its next lease is fetched RENEW_LEAD_MS before the end (with the
   * leases its account's other keys are due), so a key at a steady rate
   * never finds its lease gone. Else what the caller owes the account's gate
   * is sent SETTLE_DELAY_MS after the end, unless a call for the account
   * carried it meanwhile; while the account's keys still have demand here,
   * that call brings the leases they are due, so their leases end together
   * and one call renews them all.
   */
  private renewOrSettle(ctx: CallerContext, state: KeyState): void {
    const end = leaseEnd(state);
    const lead = Math.min(RENEW_LEAD_MS, (end - Date.now()) / 4);
    const sleep = (until: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now())));
    ctx.background(
      sleep(end - lead).then(async () => {
        // A newer lease arrived meanwhile: its own timer takes over.
        if (leaseEnd(state) !== end) return;
        const now = Date.now();
        if (now - state.ring.second * 1000 < IN_USE_MS && !state.refreshing) {
          this.refreshAhead(ctx, state, { scope: "", cost: state.cost }, now);
          if (state.refreshing) return;
        }
        await sleep(end + SETTLE_DELAY_MS);
        await this.settle(ctx, state);
      }),
    );
  }

  /** Sends what the caller owes the account's gate, with the leases its keys are due, deciding nothing. */
  private async settle(ctx: CallerContext, state: KeyState): Promise<void> {
    const now = Date.now();
    if (leaseEnd(state) > now || !this.book.owes(state.accountId)) return;
    const { upstream, done } = ctx.later(state.accountId, "report");
    const need = { scope: "", cost: state.cost };
    const request = this.request(ctx, state, need, { admit: false, want: 0, leaseMs: 0, siblingsOnly: true }, now);
    // Decides no request and asks no lease of its own: the key's status still voids its leases if refused.
    // A failed call puts back what it carried: the next call takes it.
    if (request.leases?.length) await this.send(ctx, upstream, state, request).catch(() => undefined);
    else await this.report(upstream, request);
    done();
  }

  /** Sends now everything owed to the account's gate (what callers below handed in), deciding nothing. */
  async flush(upstream: Upstream, accountId: string, now: number): Promise<void> {
    if (!this.book.owes(accountId)) return;
    await this.report(upstream, { accountId, ...this.book.takeOwed(accountId, now) });
  }

  /** Delivers what a request carries without deciding anything; on failure it is put back. */
  private async report(upstream: Upstream, request: ReportRequest): Promise<void> {
    const { accountId, release, report } = request;
    try {
      await upstream.report({ accountId, release, report });
    } catch {
      this.book.restoreOwed(request);
    }
  }
}
