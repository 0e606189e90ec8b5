/**
 * The account gate (binding RATE_LIMITER, one Durable Object per account id):
 * the single authority on the live status of an account's keys and on every
 * policy of CONTRACT §1. Its rules are the Ledger (ledger.ts), which takes
 * the time as input; this class is the shell around it: RPC, reading
 * policies from D1 (loads.ts), storage (rows.ts), quota webhooks, and the
 * alarm that persists counts and rolls usage up to D1 (rollup.ts).
 *
 * It never holds a timer: counts are written at once after a quiet spell,
 * else by an alarm at most PERSIST_MS after the last write, so a quiet gate
 * holds nothing that keeps it in memory (alarms do not) and is billed only
 * while it answers. A crash loses at most the counts of the last PERSIST_MS.
 * Changes that must hold everywhere answer with the time their fence ends
 * (the last lease granted before them); the caller waits for it
 * (client.ts), not the gate.
 */
import { DurableObject } from "cloudflare:workers";
import { getConfig } from "../config";
import { getDb } from "../db/client";
import { IdempotencyBook } from "../idempotency/book";
import type { ClaimRequest, ClaimResult, SettleRequest } from "../idempotency/protocol";
import { idempotencySettings } from "../idempotency/rules";
import { logGate, logWarning } from "../log";
import { enqueueEvent } from "../webhooks/enqueue";
import { BusyTime } from "./busy";
import { Ledger } from "./ledger";
import { PolicyLoads } from "./loads";
import { PolicyBook } from "./policies";
import type { CheckRequest, CheckResult, ReportRequest } from "./protocol";
import { rollUp } from "./rollup";
import { GateStore } from "./rows";
import type { UsageRow } from "./usage";

/** Longest time changed counts stay unwritten (what a crash can lose). */
export const PERSIST_MS = 10_000;
const HOUR_MS = 3_600_000;
/** A closed hour is rolled up this long after it ends, so reports of its last requests are in. */
const LATE_MS = 60_000;
/** Accounts' rollups are spread over this long past the hour (by account id), not all at :01. */
const SPREAD_MS = 300_000;

/** When a change answered by the gate holds everywhere: the end of the last lease granted before it. */
export interface Fenced {
  fenceUntil: number;
}

export class AccountGate extends DurableObject<Env> {
  private readonly store: GateStore;
  private readonly ledger: Ledger;
  private readonly loads: PolicyLoads;
  private readonly idempotency: IdempotencyBook;
  private persistedAt: number;
  private alarmAt: number | null = null;
  /** Quota events being recorded right now (never two tries of one at once). */
  private readonly noticing = new Set<string>();
  /** Calls open, and their time: the time the object cannot hibernate. */
  private readonly busyTime = new BusyTime();
  /** When this instance started, until its first check (whose caller then knows the start was not distance). */
  private startedAt: number | undefined = Date.now();
  /** Alarms set since the last persist (a storage row each; each run is a billed request, logged on its own). */
  private alarmsSet = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = getConfig(env);
    this.store = new GateStore(ctx.storage.kv);
    const policies = new PolicyBook(this.store.readAccount(), (keyId) => this.store.readKey(keyId));
    const counts = this.store.readCounts();
    const settings = { leaseMs: config.LEASE_MS, defaultRateLimit: config.DEFAULT_RATE_LIMIT, persistMs: PERSIST_MS };
    this.ledger = new Ledger(policies, settings, counts, Date.now());
    this.loads = new PolicyLoads(policies, this.store, () => getDb(env.DB));
    this.persistedAt = counts?.persistedAt ?? 0;
    this.idempotency = new IdempotencyBook(this.store, idempotencySettings(config));
    // An alarm set by a previous instance stays: a change must not push it later.
    ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
    logGate({ event: "start", accountId: policies.account?.id });
  }

  /** Decides one request (and maybe grants leases), taking in what the caller owes. */
  async check(request: CheckRequest): Promise<CheckResult> {
    const since = this.sinceStart();
    return this.busy(async () => {
      await this.loads.ensure(request);
      // From here on nothing is awaited: the decisions and their counts are one atomic step.
      const now = Date.now();
      const result: CheckResult = this.ledger.check(request, now);
      this.changed(now);
      await this.notices(now);
      result.tookMs = Date.now() - since;
      return result;
    });
  }

  /** Answers at once with the time it spent (its start, if this call started it): an isolate measuring how far it is (distance.ts). */
  async ping(): Promise<number> {
    const since = this.sinceStart();
    return this.busy(async () => Date.now() - since);
  }

  /** Decides an idempotent request and claims its Idempotency-Key, in one step (idempotency/book.ts). */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    return this.busy(async () => {
      await this.loads.ensure(request);
      const now = Date.now();
      const result = this.idempotency.claim(this.ledger, request, now);
      this.changed(now);
      await this.notices(now);
      return result;
    });
  }

  /** Keeps (or forgets) the answer to a claimed request; false when its mark had expired. */
  async settle(request: SettleRequest): Promise<boolean> {
    return this.busy(async () => {
      const now = Date.now();
      const settled = this.idempotency.settle(request, now);
      this.changed(now);
      return settled;
    });
  }

  /** Takes in what a caller owes: unused lease tokens and its usage report. */
  async report(request: ReportRequest): Promise<void> {
    return this.busy(async () => {
      const now = Date.now();
      this.ledger.report(request, now);
      this.changed(now);
    });
  }

  /** Reads a key's policy from D1 again (after an admin write). */
  async refreshKey(keyId: string): Promise<Fenced> {
    return this.busy(async () => {
      await this.loads.key(keyId, true);
      return { fenceUntil: this.ledger.fenceForKey(keyId) };
    });
  }

  /** Reads the account's policy (limits, quota, disabled) from D1 again. */
  async refreshAccount(accountId: string): Promise<Fenced> {
    return this.busy(async () => {
      await this.loads.account(accountId, true);
      return { fenceUntil: this.ledger.fenceForAccount() };
    });
  }

  /** Marks a key revoked for good, before D1 is written (failing safe). */
  async revokeKey(keyId: string): Promise<Fenced> {
    return this.busy(async () => {
      this.store.writeKey(keyId, this.ledger.policies.revoke(keyId));
      return { fenceUntil: this.ledger.fenceForKey(keyId) };
    });
  }

  /**
   * A rotation, ahead of the D1 write: the key expires `graceMs` after the
   * fence at the latest, and `successorId` (the new key) shares its budget.
   */
  async expireKeyIn(keyId: string, graceMs: number, successorId?: string): Promise<Fenced & { expiresAt: number }> {
    return this.busy(async () => {
      const capped = this.ledger.capExpiry(keyId, graceMs, Date.now());
      this.store.writeKey(keyId, this.ledger.policies.key(keyId) ?? { policy: null, revoked: false });
      if (successorId) this.store.writeKey(successorId, this.ledger.policies.share(successorId, keyId));
      return capped;
    });
  }

  /** The usage rows held here (recent hours, exact as of now) and each key's last use, after taking in `owed`. */
  async live(owed?: ReportRequest): Promise<{ rows: UsageRow[]; lastUsed: Record<string, number> }> {
    return this.busy(async () => {
      if (owed?.release || owed?.report) {
        const now = Date.now();
        this.ledger.report(owed, now);
        this.changed(now);
      }
      return this.ledger.live();
    });
  }

  /** This period's quota use, or null without a quota. */
  async quotaUsage(accountId: string): Promise<{ used: number; resetAt: number } | null> {
    return this.busy(async () => {
      if (this.ledger.policies.accountIsStale(accountId)) await this.loads.account(accountId);
      return this.ledger.quotaUsage(Date.now());
    });
  }

  /** Persists what changed, and rolls closed hours up to D1 (a failure throws: the runtime retries, safely). */
  override async alarm(): Promise<void> {
    return this.busy(async () => {
      this.alarmAt = null;
      const now = Date.now();
      logGate({ event: "alarm", accountId: this.ledger.policies.account?.id });
      if (this.ledger.dirty) this.persist(now);
      const due = this.rollupDue();
      if (due !== undefined && due <= now) await this.rollup(now);
      this.sweep(now);
      this.reschedule(Date.now());
    }, false);
  }

  private async rollup(now: number): Promise<void> {
    const accountId = this.ledger.policies.account?.id;
    const batch = this.ledger.takeRollup();
    if (!accountId || (batch.rows.length === 0 && batch.lastUsed.length === 0)) return;
    const rows = batch.rows.map((r) => r.row);
    const statements = await rollUp(this.env.DB, accountId, rows, batch.lastUsed);
    logGate({ event: "rollup", accountId, d1Writes: statements, rows: rows.length + batch.lastUsed.length });
    this.ledger.rolledUp(batch, now);
    this.persist(now);
  }

  /**
   * After any change: the counts written at once if
   * the last write was over PERSIST_MS ago (a sparse account's gate is then
   * left with nothing pending), else by an alarm when PERSIST_MS has passed.
   */
  private changed(now: number): void {
    this.scheduleSweep(now);
    if (!this.ledger.dirty) return;
    if (now - this.persistedAt >= PERSIST_MS) this.persist(now);
    else this.scheduleAlarm(this.persistedAt + PERSIST_MS);
    const rollup = this.rollupDue();
    if (rollup !== undefined) this.scheduleAlarm(rollup);
  }

  private persist(now: number): void {
    const countsWrites = this.store.writeCounts(this.ledger.snapshot(now));
    this.persistedAt = now;
    const idempotency = this.idempotency.takeCounts();
    logGate({
      event: "persist",
      accountId: this.ledger.policies.account?.id,
      storageWrites: countsWrites + this.store.takePolicyWrites(),
      idempotencyReads: idempotency.reads,
      idempotencyWrites: idempotency.writes,
      ...this.busyTime.take(now),
      alarmsSet: this.alarmsSet,
    });
    this.alarmsSet = 0;
  }

  /** When the earliest usage row not rolled up is due: its hour's end, plus time for late reports, spread by account. */
  private rollupDue(): number | undefined {
    const hour = this.ledger.usage.earliestDirtyHour();
    return hour === undefined ? undefined : hour + HOUR_MS + LATE_MS + spreadOf(this.ctx.id.toString());
  }

  private reschedule(now: number): void {
    if (this.ledger.dirty) this.scheduleAlarm(Math.max(now, this.persistedAt + PERSIST_MS));
    const rollup = this.rollupDue();
    if (rollup !== undefined) this.scheduleAlarm(Math.max(now + 1_000, rollup));
    this.scheduleSweep(now);
  }

  /** One bounded step of the idempotency sweep, when one is due. */
  private sweep(now: number): void {
    const swept = this.idempotency.sweep(now);
    if (swept) logGate({ event: "sweep", accountId: this.ledger.policies.account?.id, ...swept });
  }

  /** Has the alarm come by when the idempotency sweep is next due. */
  private scheduleSweep(now: number): void {
    const at = this.idempotency.nextSweep(now);
    if (at !== undefined) this.scheduleAlarm(Math.max(now + 1_000, at));
  }

  /** Sets the alarm for `at` unless one is set sooner. */
  private scheduleAlarm(at: number): void {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    this.alarmsSet++;
    void this.ctx.storage.setAlarm(at);
  }

  /**
   * Records quota.warning at 80 % and quota.exhausted at 100 %, each once per
   * period, before the call that crossed the line answers (two calls a
   * period wait for one D1 write): the event's dedupe key names the period,
   * so concurrent or repeated tries (a D1 failure tries again at the next
   * call) record one event.
   */
  private async notices(now: number): Promise<void> {
    const accountId = this.ledger.policies.account?.id;
    if (!accountId) return;
    for (const event of this.ledger.dueQuotaEvents(now)) {
      const dedupeKey = `${accountId}:${event.type}:${event.periodStart}`;
      if (this.noticing.has(dedupeKey)) continue;
      this.noticing.add(dedupeKey);
      try {
        await enqueueEvent(this.env, { type: event.type, accountId, data: event.data, dedupeKey });
        this.ledger.quotaNoticed(event.type, event.periodStart);
        this.changed(Date.now());
      } catch (error) {
        logWarning("quota event not recorded", { error: String(error), accountId, type: event.type });
      } finally {
        this.noticing.delete(dedupeKey);
      }
    }
  }

  /** When this call's work began: the instance's start for its first call (`tookMs` then counts the start), else now. */
  private sinceStart(): number {
    const since = this.startedAt ?? Date.now();
    this.startedAt = undefined;
    return since;
  }

  /** Runs one call, counting the time the object has calls open (billed duration: it cannot hibernate then). */
  private busy<T>(work: () => Promise<T>, call = true): Promise<T> {
    return this.busyTime.run(work, call);
  }
}

/** A stable spread in [0, SPREAD_MS) from the object's id. */
function spreadOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % SPREAD_MS;
}
