/**
 * The account gate (binding RATE_LIMITER, one Durable Object per account id):
 * the single authority on the live status of an account's keys and on every
 * policy of CONTRACT §1 — each key's rate limit, the account's shared limit
 * and its calendar quota — and where their usage is counted. One object
 * serializes all of an account's decisions, so every policy is exact across
 * the account's keys: N concurrent requests against a budget of L admit
 * exactly min(N, L), and a refusal counts against nothing.
 *
 * - Policies are loaded from D1 on first use (one query per key, with its
 *   account), kept in the object's storage, reloaded whenever the admin API
 *   changes them (`refreshKey`, `refreshAccount`, `revokeKey`, `expireKeyIn`),
 *   and, as a safety net, read again in the background when used more than
 *   POLICY_TTL_MS after their last read. Revocation is sticky.
 * - Counts live in memory: no storage write per request. A timer persists
 *   what changed at most every PERSIST_MS (a pending timer also keeps the
 *   object in memory until then), and the alarm rolls usage and last-use
 *   times up to D1 every ROLLUP_MS (usage.ts). What a crash loses is bounded:
 *   the counts of the last PERSIST_MS (docs/architecture.md).
 * - Leases: a busy key may take tokens ahead for up to LEASE_MS. They are
 *   counted against every policy at grant time, and every status change waits
 *   until the leases granted before it have expired, so a change holds
 *   everywhere once the admin call returns.
 * - Quota periods are computed from the clock (calendar.ts), never reset by
 *   an alarm: a retried alarm cannot reset a quota twice or lose its count.
 */
import { DurableObject } from "cloudflare:workers";
import { getConfig } from "../config";
import { getDb } from "../db/client";
import type { Quota, RateLimit } from "../db/limits";
import { allows } from "../keys/scopes";
import { logGate, logWarning } from "../log";
import { enqueueEvent } from "../webhooks/enqueue";
import { periodAt } from "./calendar";
import { type AccountPolicy, type KeyPolicy, loadAccount, loadKey } from "./policy";
import type {
  CheckRequest,
  CheckResult,
  Decision,
  Lease,
  LeaseGrant,
  LeaseWant,
  Limits,
  QuotaState,
  ReportRequest,
  WindowState,
} from "./protocol";
import { rollUp, UsageBook, type UsageRow, type UsageSnapshot } from "./usage";
import { SlidingWindow, type WindowSnapshot } from "./window";

export const POLICY_TTL_MS = 300_000;

export const PERSIST_MS = 10_000;
export const ROLLUP_MS = 300_000;
/** Keys per persisted row: an account with up to this many active keys writes one row per persist. */
const KEYS_PER_ROW = 200;

/** A stored policy with the time of its latest read, when the persisted counts know a later one. */
function freshest<T extends { loadedAt: number }>(stored: T | undefined, readAt: number | undefined): T | undefined {
  return stored && readAt !== undefined && readAt > stored.loadedAt ? { ...stored, loadedAt: readAt } : stored;
}

/** A lease never takes more than this share of what remains under any policy. */
const LEASE_SHARE = 0.1;

interface Stored<P> {
  /** null when D1 has no such row. */
  policy: P | null;
  loadedAt: number;
}

interface StoredKey extends Stored<KeyPolicy> {
  /** Revoked here, ahead of D1: sticky whatever D1 says. */
  revoked: boolean;
  /** An expiry set here ahead of D1 (rotation), kept until the next forced reload. */
  expiresCap?: number;
}

interface PersistedWindow extends WindowSnapshot {
  limit: number;
  windowMs: number;
}

/** A key's stored policy and its entry in this object's memory. */
interface Held {
  key: StoredKey;
  entry: KeyEntry;
}

interface KeyEntry {
  stored?: StoredKey;
  loading?: Promise<StoredKey>;
  loads: number;
  window?: SlidingWindow;
  /** The latest expiry of a lease granted for this key. */
  horizon: number;
  lastUsedAt: number;
  lastUsedRolled: number;
}

/** Units counted in the quota period that starts at `start`, and the webhook events sent for it. */
interface QuotaCount {
  period: "day" | "month";
  start: number;
  used: number;
  /** quota.warning (80 %) and quota.exhausted, once each per period. */
  notified?: Partial<Record<QuotaEvent, true>>;
}

type QuotaEvent = "quota.warning" | "quota.exhausted";

/** The share of the quota at which quota.warning is sent. */
const QUOTA_WARNING = 0.8;

/** A key's counts as persisted: its window (if anything is in it) and its last use. */
interface PersistedKey {
  window?: PersistedWindow;
  lastUsedAt: number;
  /** When its policy was last read from D1 (its own row is rewritten only when the policy changes). */
  readAt?: number;
}

/**
 * The account's counts as persisted, in one row (`state`) for up to
 * KEYS_PER_ROW keys with counts; the keys beyond go in `keys:1`, `keys:2`…
 */
interface PersistedState {
  shared?: PersistedWindow;
  quota?: QuotaCount;
  usage: UsageSnapshot;
  keys: Record<string, PersistedKey>;
  keyRows: number;
  /** When this was written, and the latest lease expiry granted by then: what a restart must wait out. */
  persistedAt: number;
  horizon: number;
  /** When the account's policy was last read from D1. */
  accountReadAt?: number;
}

/** What applies to one decision: the key and its expiry, its window, the shared window, the quota and its count. */
interface Applied {
  key: KeyPolicy;
  expiry: number | null;
  keyWindow: SlidingWindow;
  shared?: SlidingWindow;
  quota?: { policy: Quota; count: QuotaCount };
}

type Refusal = Extract<Decision, { outcome: "forbidden" | "rate_limited" | "quota_exceeded" }>;

const USAGE_OF_REFUSAL = {
  forbidden: "forbidden",
  rate_limited: "rateLimited",
  quota_exceeded: "quotaExceeded",
} as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const earliest = (a: number | null, b: number | undefined) => (b === undefined ? a : a === null ? b : Math.min(a, b));
const keyRow = (keyId: string) => `key:${keyId}`;
/** Whether two stored policies say the same, whenever each was read. */
const samePolicy = (a: object | undefined, b: object) =>
  a !== undefined && JSON.stringify({ ...a, loadedAt: 0 }) === JSON.stringify({ ...b, loadedAt: 0 });
const keysRow = (index: number) => `keys:${index}`;
const persisted = (window: SlidingWindow): PersistedWindow => ({
  ...window.snapshot(),
  limit: window.limit,
  windowMs: window.windowMs,
});
const restore = (window: PersistedWindow | undefined) =>
  window && new SlidingWindow(window.limit, window.windowMs, window);

function windowState(window: SlidingWindow, now: number): WindowState {
  return {
    limit: window.limit,
    windowSeconds: window.windowMs / 1000,
    remaining: window.remaining(now),
    resetAt: window.resetAt(now),
  };
}

/** A window for `limit`, keeping what `current` already admitted: a new limit cannot grant a fresh budget. */
function windowFor(current: SlidingWindow | undefined, limit: RateLimit): SlidingWindow {
  const windowMs = limit.windowSeconds * 1000;
  if (current && current.limit === limit.limit && current.windowMs === windowMs) return current;
  return new SlidingWindow(limit.limit, windowMs, current?.snapshot());
}

export class AccountGate extends DurableObject<Env> {
  private account: Stored<AccountPolicy> | undefined;
  private accountLoading: Promise<Stored<AccountPolicy>> | undefined;
  private accountLoads = 0;
  private readonly keys = new Map<string, KeyEntry>();
  /** Key counts read from storage at start, taken into `keys` on first use. */
  private readonly restored: Record<string, PersistedKey> = {};
  /** Something changed since the last persist. */
  private unsaved = false;
  private shared: SlidingWindow | undefined;
  private quota: QuotaCount | undefined;
  private readonly usage: UsageBook;
  /**
   * The latest expiry of any lease granted for any of the account's keys. After
   * a restart, leases granted by the previous instance may still be live: every
   * change waits out a full LEASE_MS then.
   */
  private horizon: number;
  /** What a key not yet seen by this instance must assume: leases of a previous instance (see constructor). */
  private readonly restartHorizon: number;
  private persistTimer: ReturnType<typeof setTimeout> | undefined;
  /** Quota events being recorded right now (never two tries of one at once). */
  private readonly noticing = new Set<QuotaEvent>();
  private alarmAt: number | null = null;
  /** When the counts were last written. */
  private persistedAt: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const kv = ctx.storage.kv;
    const state = kv.get<PersistedState>("state");
    this.account = freshest(kv.get<Stored<AccountPolicy>>("account"), state?.accountReadAt);
    this.shared = restore(state?.shared);
    this.quota = state?.quota;
    this.usage = new UsageBook(state?.usage);
    for (let row = 1; row < (state?.keyRows ?? 0); row++) Object.assign(this.restored, kv.get(keysRow(row)));
    Object.assign(this.restored, state?.keys);
    // Leases granted by a previous instance may still be live. Their latest expiry was persisted, except for
    // grants after the last persist: if that was recent, a crash may have followed them, so wait out LEASE_MS.
    const leaseMs = getConfig(env).LEASE_MS;
    const recent = state !== undefined && Date.now() - state.persistedAt < PERSIST_MS + leaseMs;
    this.horizon = Math.max(state?.horizon ?? 0, recent ? Date.now() + leaseMs : 0);
    this.restartHorizon = this.horizon;
    this.persistedAt = state?.persistedAt ?? 0;
    // An alarm set by a previous instance stays: a change must not push it later (a busy account would never roll up).
    ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
    logGate({ event: "start", accountId: this.account?.policy?.id });
  }

  /**
   * Decides one request (and maybe grants a lease): status, scope, key limit,
   * shared limit, quota; and grants the leases asked for the account's other
   * keys in the same call.
   */
  async check(request: CheckRequest): Promise<CheckResult> {
    const entry = this.entry(request.keyId);
    const key = await this.keyPolicy(request.keyId, entry);
    const account = await this.accountPolicy(request.accountId);
    const wanted = (request.leases ?? []).map((want) => ({ want, entry: this.entry(want.keyId) }));
    // A key whose policy cannot be read now simply gets no lease in this call.
    const loaded = await Promise.all(wanted.map((w) => this.keyPolicy(w.want.keyId, w.entry).catch(() => undefined)));
    // From here on nothing is awaited: the decisions and their counts are one atomic step.
    const now = Date.now();
    this.deliver(request, now);
    const result: CheckResult = this.decide(request, account.policy, { key, entry }, now);
    wanted.forEach(({ want, entry: other }, i) => {
      const stored = loaded[i];
      if (!stored) return;
      const grant = this.leaseFor(want, account.policy, { key: stored, entry: other }, now);
      result.others = { ...result.others, [want.keyId]: grant };
    });
    this.changed(now);
    return result;
  }

  /** The status of a key and the policies that apply to it now, or null when it must be refused (401). */
  private applicable(account: AccountPolicy | null, accountId: string, { key, entry }: Held, now: number) {
    const policy = key.policy;
    const expiry = earliest(policy?.expiresAt ?? null, key.expiresCap);
    if (
      !account ||
      account.disabled ||
      !policy ||
      key.revoked ||
      policy.revoked ||
      policy.accountId !== accountId ||
      (expiry !== null && now >= expiry)
    ) {
      return null;
    }
    return this.policiesAt(account, { key: policy, expiry }, entry, now);
  }

  /** One request's decision, counted (and its lease granted) at once. */
  private decide(request: CheckRequest, account: AccountPolicy | null, held: Held, now: number): Decision {
    const applied = this.applicable(account, request.accountId, held, now);
    if (!applied) return { outcome: "unauthorized" };
    const { entry } = held;
    if (request.admit) {
      const refusal = this.refusal(request, applied, now);
      if (refusal) {
        this.usage.add(applied.key.id, now, USAGE_OF_REFUSAL[refusal.outcome]);
        return refusal;
      }
      applied.keyWindow.record(now);
      applied.shared?.record(now);
      if (applied.quota) applied.quota.count.used += request.cost;
      this.usage.add(applied.key.id, now, "admitted");
      entry.lastUsedAt = now;
    }
    const lease = this.grant(request, entry, applied, now);
    if (applied.quota) this.noticeQuota(applied.quota, now);
    return { outcome: "ok", limits: this.limits(applied, now), ...(lease && { lease }) };
  }

  /** A lease for another key of the account, deciding no request. */
  private leaseFor(want: LeaseWant, account: AccountPolicy | null, held: Held, now: number): LeaseGrant {
    const applied = this.applicable(account, account?.id ?? "", held, now);
    if (!applied) return { outcome: "unauthorized" };
    const lease = this.grant(want, held.entry, applied, now);
    if (applied.quota) this.noticeQuota(applied.quota, now);
    return { outcome: "ok", limits: this.limits(applied, now), ...(lease && { lease }) };
  }

  /** Takes in what an isolate owes: unused lease tokens and its usage report. */
  async report(request: ReportRequest): Promise<void> {
    this.deliver(request, Date.now());
    this.changed(Date.now());
  }

  /** Reloads a key's status from D1; returns once no lease granted under the old status is live. */
  async refreshKey(keyId: string): Promise<void> {
    const entry = this.entry(keyId);
    await this.reloadKey(keyId, entry, true);
    await this.fence(entry.horizon);
  }

  /** Reloads the account's policy (limits, quota, disabled) from D1; returns once no lease granted before is live. */
  async refreshAccount(accountId: string): Promise<void> {
    await this.reloadAccount(accountId, true);
    await this.fence(this.horizon);
  }

  /** Marks a key revoked for good (before D1 is written: failing safe); returns once no lease granted before is live. */
  async revokeKey(keyId: string): Promise<void> {
    const entry = this.entry(keyId);
    entry.stored = { ...(entry.stored ?? { policy: null, loadedAt: 0 }), revoked: true };
    this.ctx.storage.kv.put(keyRow(keyId), entry.stored);
    await this.fence(entry.horizon);
  }

  /**
   * Makes a key expire `graceMs` from now at the latest (a rotation's grace
   * period), ahead of the D1 write. Leases granted before may outlive that:
   * it first waits until none would, so the grace the caller gets starts when
   * this returns. Returns the expiry set (epoch ms).
   */
  async expireKeyIn(keyId: string, graceMs: number): Promise<number> {
    const entry = this.entry(keyId);
    // No lease outlives the cap: set at once (leases granted while waiting respect it), then wait until grace remains.
    const at = Math.max(Date.now() + graceMs, entry.horizon);
    const current = entry.stored ?? { policy: null, revoked: false, loadedAt: 0 };
    entry.stored = { ...current, expiresCap: Math.min(at, current.expiresCap ?? Number.POSITIVE_INFINITY) };
    this.ctx.storage.kv.put(keyRow(keyId), entry.stored);
    await this.fence(at - graceMs);
    return entry.stored.expiresCap as number;
  }

  /**
   * The usage rows held here (recent hours, exact as of now) and each key's
   * last use, for reads that merge D1; `owed` is what the reading isolate had
   * not delivered yet.
   */
  async live(owed: ReportRequest = { accountId: "" }): Promise<{ rows: UsageRow[]; lastUsed: Record<string, number> }> {
    if (owed.release || owed.report) {
      this.deliver(owed, Date.now());
      this.changed(Date.now());
    }
    const lastUsed: Record<string, number> = {};
    for (const [keyId, entry] of this.keys) if (entry.lastUsedAt > 0) lastUsed[keyId] = entry.lastUsedAt;
    return { rows: this.usage.current(), lastUsed };
  }

  /** This period's quota use, or null without a quota. */
  async quotaUsage(accountId: string): Promise<{ used: number; resetAt: number } | null> {
    const account = await this.accountPolicy(accountId);
    const quota = account.policy?.quota;
    if (!quota) return null;
    const now = Date.now();
    return { used: this.quotaAt(quota, now).used, resetAt: periodAt(quota.period, now).end };
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.persist();
    const now = Date.now();
    const rows = this.usage.takeDirty();
    const lastUsed: Array<{ keyId: string; at: number }> = [];
    for (const [keyId, entry] of this.keys) {
      if (entry.lastUsedAt > entry.lastUsedRolled) lastUsed.push({ keyId, at: entry.lastUsedAt });
    }
    const accountId = this.account?.policy?.id;
    if (accountId && (rows.length > 0 || lastUsed.length > 0)) {
      // A failure throws: the runtime retries the alarm, and the rollup is idempotent.
      const statements = await rollUp(
        getDb(this.env.DB),
        accountId,
        rows.map((r) => r.row),
        lastUsed,
      );
      logGate({ event: "rollup", accountId, d1Writes: statements });
      this.usage.rolledUp(rows, now);
      this.unsaved = true;
      for (const { keyId, at } of lastUsed) {
        const entry = this.keys.get(keyId);
        if (entry) entry.lastUsedRolled = Math.max(entry.lastUsedRolled, at);
      }
    }
    if (this.usage.dirty) this.scheduleAlarm(Date.now() + ROLLUP_MS);
  }

  /**
   * Writes the account's counts (key windows and last uses, the shared window,
   * the quota, the usage book) if anything changed: one row for an account
   * with up to KEYS_PER_ROW keys with counts, whatever its traffic.
   */
  private persist(): void {
    if (this.persistTimer !== undefined) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    if (!this.unsaved) return;
    this.unsaved = false;
    const kv = this.ctx.storage.kv;
    const now = Date.now();
    const keys: Array<[string, PersistedKey]> = [];
    for (const [keyId, entry] of this.keys) {
      if (entry.window && entry.window.used(now) === 0) entry.window = undefined;
      if (entry.window || entry.lastUsedAt > entry.lastUsedRolled) {
        const readAt = entry.stored?.loadedAt;
        keys.push([keyId, { window: entry.window && persisted(entry.window), lastUsedAt: entry.lastUsedAt, readAt }]);
      }
    }
    for (const [keyId, restored] of Object.entries(this.restored))
      if (!this.keys.has(keyId)) keys.push([keyId, restored]);
    const rows = Math.max(1, Math.ceil(keys.length / KEYS_PER_ROW));
    const previousRows = kv.get<PersistedState>("state")?.keyRows ?? 1;
    kv.put("state", {
      shared: this.shared && persisted(this.shared),
      quota: this.quota,
      usage: this.usage.snapshot(),
      keys: Object.fromEntries(keys.slice(0, KEYS_PER_ROW)),
      keyRows: rows,
      persistedAt: now,
      horizon: this.horizon,
      accountReadAt: this.account?.loadedAt,
    } satisfies PersistedState);
    this.persistedAt = now;
    for (let row = 1; row < rows; row++) {
      kv.put(keysRow(row), Object.fromEntries(keys.slice(row * KEYS_PER_ROW, (row + 1) * KEYS_PER_ROW)));
    }
    for (let row = rows; row < previousRows; row++) kv.delete(keysRow(row));
    logGate({ event: "persist", accountId: this.account?.policy?.id, storageWrites: Math.max(rows, previousRows) });
  }

  /**
   * After any change: persist at most every PERSIST_MS, roll usage up within
   * ROLLUP_MS. A change after a quiet spell is written at once (one row), so a
   * sparse account's gate is left with no timer and can hibernate; during
   * traffic a timer writes the rest PERSIST_MS after the last write.
   */
  private changed(now: number): void {
    this.unsaved = true;
    if (this.usage.dirty) this.scheduleAlarm(now + ROLLUP_MS);
    if (this.persistTimer !== undefined) return;
    const due = this.persistedAt + PERSIST_MS - now;
    if (due <= 0) this.persist();
    else this.persistTimer = setTimeout(() => this.persist(), due);
  }

  private entry(keyId: string): KeyEntry {
    let entry = this.keys.get(keyId);
    if (!entry) {
      const restored = this.restored[keyId];
      delete this.restored[keyId];
      entry = {
        stored: freshest(this.ctx.storage.kv.get<StoredKey>(keyRow(keyId)), restored?.readAt),
        loads: 0,
        window: restore(restored?.window),
        horizon: this.restartHorizon,
        lastUsedAt: restored?.lastUsedAt ?? 0,
        lastUsedRolled: 0,
      };
      this.keys.set(keyId, entry);
    }
    return entry;
  }

  /** Applies an isolate's releases and reports. */
  private deliver(request: ReportRequest, now: number): void {
    for (const release of request.release ?? []) {
      const entry = this.entry(release.keyId);
      entry.window?.release(release.keyBucket, release.tokens);
      if (release.accountBucket !== undefined) this.shared?.release(release.accountBucket, release.tokens);
      if (this.quota && release.periodStart === this.quota.start) {
        this.quota.used = Math.max(0, this.quota.used - release.units);
      }
    }
    if (request.report) {
      this.usage.addReport(request.report);
      for (const [keyId, { lastUsedAt }] of Object.entries(request.report)) {
        const entry = this.entry(keyId);
        entry.lastUsedAt = Math.max(entry.lastUsedAt, Math.min(lastUsedAt, now));
      }
    }
  }

  /** The windows and quota count that apply to a key now, created or re-limited as its policies say. */
  private policiesAt(
    account: AccountPolicy,
    { key, expiry }: Pick<Applied, "key" | "expiry">,
    entry: KeyEntry,
    now: number,
  ): Applied {
    entry.window = windowFor(
      entry.window,
      key.rateLimit ?? account.keyDefault ?? getConfig(this.env).DEFAULT_RATE_LIMIT,
    );
    this.shared = account.shared ? windowFor(this.shared, account.shared) : undefined;
    return {
      key,
      expiry,
      keyWindow: entry.window,
      shared: this.shared,
      quota: account.quota ? { policy: account.quota, count: this.quotaAt(account.quota, now) } : undefined,
    };
  }

  /** The quota count of the period containing `now`; a new period starts from 0, computed, never by alarm. */
  private quotaAt(quota: Quota, now: number): QuotaCount {
    const { start } = periodAt(quota.period, now);
    const current = this.quota;
    if (!current || current.start !== start || current.period !== quota.period) {
      // What was counted inside the new period still counts (day → month mid-month); anything else is gone.
      const carried = current && current.start >= start ? current.used : 0;
      this.quota = { period: quota.period, start, used: carried };
    }
    return this.quota as QuotaCount;
  }

  /** The first policy that refuses the request, in the contract's order, or undefined. */
  private refusal(request: CheckRequest, applied: Applied, now: number): Refusal | undefined {
    const { key, keyWindow, shared, quota } = applied;
    if (!allows(key.scopes, request.scope)) return { outcome: "forbidden", limits: this.limits(applied, now) };
    if (keyWindow.remaining(now) < 1) {
      return { outcome: "rate_limited", policy: "key", limits: this.limits(applied, now) };
    }
    if (shared && shared.remaining(now) < 1) {
      return { outcome: "rate_limited", policy: "account", limits: this.limits(applied, now) };
    }
    if (quota && request.cost > 0 && quota.count.used + request.cost > quota.policy.limit) {
      return { outcome: "quota_exceeded", limits: this.limits(applied, now) };
    }
    return undefined;
  }

  /** A lease for a busy key: at most a share of what remains under every policy, counted at once. */
  private grant(
    request: Pick<CheckRequest, "want" | "leaseMs" | "cost">,
    entry: KeyEntry,
    applied: Applied,
    now: number,
  ): Lease | undefined {
    if (request.want <= 0 || request.leaseMs <= 0) return undefined;
    const { key, expiry, keyWindow, shared, quota } = applied;
    let tokens = Math.min(Math.floor(request.want), Math.floor(keyWindow.remaining(now) * LEASE_SHARE));
    if (shared) tokens = Math.min(tokens, Math.floor(shared.remaining(now) * LEASE_SHARE));
    if (quota && request.cost > 0) {
      const left = quota.policy.limit - quota.count.used;
      tokens = Math.min(tokens, Math.floor((left * LEASE_SHARE) / request.cost));
    }
    const leaseMs = Math.min(request.leaseMs, getConfig(this.env).LEASE_MS);
    const expiresAt = Math.min(now + leaseMs, expiry ?? Number.POSITIVE_INFINITY);
    if (tokens <= 0 || expiresAt <= now) return undefined;
    const units = quota ? tokens * request.cost : 0;
    const keyBucket = keyWindow.record(expiresAt, tokens);
    const accountBucket = shared?.record(expiresAt, tokens);
    if (quota) quota.count.used += units;
    entry.horizon = Math.max(entry.horizon, expiresAt);
    this.horizon = Math.max(this.horizon, expiresAt);
    return { tokens, units, expiresAt, scopes: key.scopes, keyBucket, accountBucket, periodStart: quota?.count.start };
  }

  /**
   * Sends quota.warning at 80 % of the period's quota and quota.exhausted at
   * 100 %, each once per period: the event's dedupe key names the period, so
   * concurrent or repeated tries (a D1 failure retries on the next request)
   * record one event; the period's flag is set once one is recorded.
   */
  private noticeQuota(quota: NonNullable<Applied["quota"]>, now: number): void {
    const { policy, count } = quota;
    for (const [type, share] of [
      ["quota.warning", QUOTA_WARNING],
      ["quota.exhausted", 1],
    ] as const) {
      if (count.notified?.[type] || count.used < policy.limit * share || this.noticing.has(type)) continue;
      const accountId = this.account?.policy?.id as string;
      const data = {
        quota: {
          limit: policy.limit,
          period: policy.period,
          used: Math.min(count.used, policy.limit),
          resetAt: new Date(periodAt(policy.period, now).end).toISOString(),
        },
      };
      this.noticing.add(type);
      this.ctx.waitUntil(
        enqueueEvent(this.env, { type, accountId, data, dedupeKey: `${accountId}:${type}:${count.start}` })
          .then(() => {
            count.notified = { ...count.notified, [type]: true };
            this.changed(Date.now());
          })
          .catch((error: unknown) => logWarning("quota event not recorded", { error: String(error), accountId, type }))
          .finally(() => this.noticing.delete(type)),
      );
    }
  }

  /** Every policy's state as of now, for the headers. */
  private limits(applied: Applied, now: number): Limits {
    const { keyWindow, shared, quota } = applied;
    let quotaState: QuotaState | undefined;
    if (quota) {
      const { start, end } = periodAt(quota.policy.period, now);
      quotaState = {
        limit: quota.policy.limit,
        period: quota.policy.period,
        periodSeconds: (end - start) / 1000,
        used: Math.min(quota.count.used, quota.policy.limit),
        resetAt: end,
      };
    }
    return {
      key: windowState(keyWindow, now),
      ...(shared && { account: windowState(shared, now) }),
      ...(quotaState && { quota: quotaState }),
    };
  }

  /**
   * A background re-read. Its time is persisted with the counts (a restart
   * then trusts the copy as long as this instance did); its failure keeps
   * what the gate holds, and the next stale use tries again.
   */
  private revalidate(reload: Promise<unknown>): void {
    reload.then(
      () => this.changed(Date.now()),
      () => undefined,
    );
  }

  /**
   * The key's policy, from memory, else storage, else D1. One read more than
   * POLICY_TTL_MS ago still answers while D1 is read again off the request
   * path (the safety net: admin changes reach the gate before they answer),
   * and stays when D1 fails.
   */
  private async keyPolicy(keyId: string, entry: KeyEntry): Promise<StoredKey> {
    const stored = entry.stored;
    if (stored && (stored.loadedAt > 0 || stored.revoked)) {
      if (Date.now() - stored.loadedAt >= POLICY_TTL_MS) this.revalidate(this.reloadKey(keyId, entry));
      return stored;
    }
    return await this.reloadKey(keyId, entry);
  }

  private async accountPolicy(accountId: string): Promise<Stored<AccountPolicy>> {
    const stored = this.account;
    if (stored && stored.policy?.id === accountId) {
      if (Date.now() - stored.loadedAt >= POLICY_TTL_MS) this.revalidate(this.reloadAccount(accountId));
      return stored;
    }
    try {
      return await this.reloadAccount(accountId);
    } catch (error) {
      if (stored && stored.loadedAt > 0) return stored;
      throw error;
    }
  }

  /**
   * Reads a key's policy (and its account's) from D1. Concurrent callers share
   * one read, except a forced reload (after an admin write), which always reads
   * anew; a read that finishes after a newer one started is discarded.
   */
  private async reloadKey(keyId: string, entry: KeyEntry, force = false): Promise<StoredKey> {
    if (entry.loading && !force) return entry.loading;
    const load = ++entry.loads;
    const accountLoad = this.accountLoads;
    const loading = (async () => {
      const found = await loadKey(getDb(this.env.DB), keyId);
      logGate({ event: "load", accountId: found?.account.id, d1Queries: 1 });
      const now = Date.now();
      const stored: StoredKey = {
        policy: found?.key ?? null,
        revoked: (found?.key.revoked ?? false) || (entry.stored?.revoked ?? false),
        // A forced reload follows an admin write to D1, which holds any cap set before it.
        expiresCap: force ? undefined : entry.stored?.expiresCap,
        loadedAt: now,
      };
      if (load === entry.loads) {
        // Stored again only when it changed: a reload that finds the same policy (the 5-minute safety net) writes nothing.
        if (!samePolicy(entry.stored, stored)) this.ctx.storage.kv.put(keyRow(keyId), stored);
        entry.stored = stored;
      }
      // The join brought the account's policy too; keep it unless a newer read started.
      if (found && accountLoad === this.accountLoads) this.setAccount({ policy: found.account, loadedAt: now });
      return entry.stored ?? stored;
    })();
    entry.loading = loading;
    try {
      return await loading;
    } finally {
      if (entry.loading === loading) entry.loading = undefined;
    }
  }

  private async reloadAccount(accountId: string, force = false): Promise<Stored<AccountPolicy>> {
    if (this.accountLoading && !force) return this.accountLoading;
    const load = ++this.accountLoads;
    const loading = (async () => {
      const stored = { policy: await loadAccount(getDb(this.env.DB), accountId), loadedAt: Date.now() };
      logGate({ event: "load", accountId, d1Queries: 1 });
      if (load === this.accountLoads) this.setAccount(stored);
      return this.account ?? stored;
    })();
    this.accountLoading = loading;
    try {
      return await loading;
    } finally {
      if (this.accountLoading === loading) this.accountLoading = undefined;
    }
  }

  private setAccount(stored: Stored<AccountPolicy>): void {
    if (!samePolicy(this.account, stored)) this.ctx.storage.kv.put("account", stored);
    this.account = stored;
  }

  /** Waits until `until` (the expiry of the leases a change must outlast). */
  private async fence(until: number): Promise<void> {
    const wait = until - Date.now();
    if (wait > 0) await sleep(wait);
  }

  private scheduleAlarm(at: number): void {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }
}
