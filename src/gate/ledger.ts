/**
 * The account gate's rules as a plain class: every decision, lease, release
 * and usage count of one account, with the current time passed in and no
 * I/O at all, so it is tested in Node without a runtime or a sleep
 * (test/unit/gate/). The Durable Object (object.ts) is a thin shell around
 * it: it reads policies from D1 into the PolicyBook, calls the ledger,
 * stores what changed (rows.ts) and rolls usage up to D1.
 *
 * - A decision checks, in the contract's order, the key's status (401), its
 *   scope, then its restrictions (client IP, sender domains: 403; the one
 *   rule of restrictions/decide.ts), the key's rate limit and the account's
 *   shared limit (429 RATE_LIMITED), the quota (429 QUOTA_EXCEEDED), and
 *   counts the request against all of them at once, or against none. A test
 *   key's requests are never counted against the quota (it does not apply to
 *   them), and a sending request whose senders a restricted key needs and
 *   the caller did not read is decided not at all (`needs_senders`).
 * - A lease hands a busy key tokens ahead: at most a tenth of what remains
 *   under every policy, counted at once, stamped at its expiry, and never
 *   past the key's expiry or the quota period's end. Every change that must
 *   hold everywhere waits out the leases granted before it (`fence*`).
 * - A rotated key's successor shares its rate-limit budget (policies.ts).
 */
import { effectiveRateLimit, type RateLimit } from "../db/limits";
import { refusal as restrictedBy, restrictionsOf } from "../restrictions/decide";
import { periodAt } from "./calendar";
import type { PolicyBook } from "./policies";
import type { AccountPolicy, KeyPolicy } from "./policy";
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
import { type DueQuotaEvent, dueQuotaEvents, type QuotaCount, type QuotaEvent, quotaAt } from "./quota";
import { UsageBook, type UsageRow, type UsageSnapshot } from "./usage";
import { SlidingWindow, type WindowSnapshot } from "./window";

export interface LedgerSettings {
  /** LEASE_MS: the longest lease granted. */
  leaseMs: number;
  /** DEFAULT_RATE_LIMIT: the key limit when neither the key nor its account sets one. */
  defaultRateLimit: RateLimit;
  /** How long counts may go unpersisted: a restart soon after a persist assumes leases granted since. */
  persistMs: number;
}

export interface PersistedWindow extends WindowSnapshot {
  limit: number;
  windowMs: number;
}

/** The ledger's counts as persisted (policies are stored apart, rows.ts). */
export interface LedgerSnapshot {
  /** Key windows by budget id (a key's own id, or the one its rotation shares). */
  windows: Record<string, PersistedWindow>;
  shared?: PersistedWindow;
  quota?: QuotaCount;
  usage: UsageSnapshot;
  /** Last uses not yet rolled up to D1, by key id. */
  lastUsed: Record<string, number>;
  /** The latest lease expiry granted by then. */
  horizon: number;
  persistedAt: number;
}

/** The share of what remains under a policy that one lease may take. */
const LEASE_SHARE = 0.1;
/** After its leases end, how long budget takes to come back (the holders' releases ride on their next call). */
const RETURN_MS = 1_000;
/** A refusal for budget held elsewhere never asks for a longer wait than this. */
const MAX_HELD_WAIT_MS = 5_000;

const USAGE_OF_REFUSAL = {
  forbidden: "forbidden",
  rate_limited: "rateLimited",
  quota_exceeded: "quotaExceeded",
} as const;

/** What applies to one live key now: its policy and expiry, its window, the shared window, the quota and its count. */
interface Applied {
  key: KeyPolicy;
  budget: string;
  expiry: number | null;
  keyWindow: SlidingWindow;
  shared?: SlidingWindow;
  quota?: { limit: number; period: "day" | "month"; count: QuotaCount };
}

type Refusal = Extract<Decision, { outcome: "forbidden" | "rate_limited" | "quota_exceeded" | "needs_senders" }>;

const persisted = (window: SlidingWindow): PersistedWindow => ({
  ...window.snapshot(),
  limit: window.limit,
  windowMs: window.windowMs,
});
const restored = (window: PersistedWindow) => new SlidingWindow(window.limit, window.windowMs, window);

/** `current` fitted to `limit`: a new limit keeps what was counted; only a new length needs a new window. */
function fitLimit(current: SlidingWindow | undefined, limit: RateLimit): SlidingWindow {
  const windowMs = limit.windowSeconds * 1000;
  if (current?.windowMs === windowMs) {
    current.limit = limit.limit;
    return current;
  }
  return new SlidingWindow(limit.limit, windowMs, current?.snapshot());
}

function windowState(window: SlidingWindow, now: number): WindowState {
  return {
    limit: window.limit,
    windowSeconds: window.windowMs / 1000,
    remaining: window.remaining(now),
    resetAt: window.resetAt(now),
  };
}

export class Ledger {
  private readonly windows = new Map<string, SlidingWindow>();
  private shared: SlidingWindow | undefined;
  private quota: QuotaCount | undefined;
  readonly usage: UsageBook;
  /** Per key: the latest expiry of a lease granted for it. */
  private readonly keyHorizons = new Map<string, number>();
  /** Per budget: the latest expiry of a lease drawn on it. */
  private readonly budgetHorizons = new Map<string, number>();
  /** The latest expiry of any lease granted for any key of the account. */
  private horizon: number;
  /** What a key not seen since a restart must assume: leases the previous instance may have granted. */
  private readonly restartHorizon: number;
  private readonly lastUsed = new Map<string, { at: number; rolled: number }>();
  /** Something changed since the last snapshot. */
  dirty = false;

  constructor(
    readonly policies: PolicyBook,
    private readonly settings: LedgerSettings,
    snapshot: LedgerSnapshot | undefined,
    now: number,
  ) {
    for (const [budget, window] of Object.entries(snapshot?.windows ?? {})) this.windows.set(budget, restored(window));
    this.shared = snapshot?.shared && restored(snapshot.shared);
    this.quota = snapshot?.quota;
    this.usage = new UsageBook(snapshot?.usage);
    for (const [keyId, at] of Object.entries(snapshot?.lastUsed ?? {})) this.lastUsed.set(keyId, { at, rolled: 0 });
    // Leases granted after the last persist were not recorded: if it was recent, a crash may have followed them.
    const recent = snapshot !== undefined && now - snapshot.persistedAt < settings.persistMs + settings.leaseMs;
    this.horizon = Math.max(snapshot?.horizon ?? 0, recent ? now + settings.leaseMs : 0);
    this.restartHorizon = this.horizon;
  }

  /**
   * Decides one request (and maybe grants it a lease), takes in what the
   * caller owes, and grants the leases asked for the account's other keys
   * whose policies are held.
   */
  check(request: CheckRequest, now: number): CheckResult {
    this.takeIn(request, now);
    const result: CheckResult = this.decide(request, now);
    for (const want of request.leases ?? []) {
      if (this.policies.keyIsStale(want.keyId)) continue;
      result.others = { ...result.others, [want.keyId]: this.leaseFor(want, request.accountId, now) };
    }
    this.dirty = true;
    return result;
  }

  /** The decision `check` would make now, counting nothing (an idempotent repeat's refusals defer to it). */
  peek(request: CheckRequest, now: number): Decision {
    const applied = this.applicable(request.keyId, request.accountId, now);
    if (!applied) return { outcome: "unauthorized" };
    return this.refusal(request, applied, now) ?? { outcome: "ok", limits: this.limits(applied, now) };
  }

  /** Takes in what a caller owes: unused lease tokens and its usage report. */
  report(request: ReportRequest, now: number): void {
    this.takeIn(request, now);
    this.dirty = true;
  }

  /** When the last lease granted for this key ends: a change to it holds everywhere from then. */
  fenceForKey(keyId: string): number {
    return this.keyHorizons.get(keyId) ?? this.restartHorizon;
  }

  /** When the last lease granted for any of the account's keys ends. */
  fenceForAccount(): number {
    return this.horizon;
  }

  /**
   * Caps a key's expiry `graceMs` from now (a rotation's grace) and makes
   * `successor` share its budget. A lease granted before may outlive that, so
   * the cap is at least the key's fence; the caller waits until `fenceUntil`,
   * when the grace left is `graceMs`.
   */
  capExpiry(keyId: string, graceMs: number, now: number): { expiresAt: number; fenceUntil: number } {
    const at = Math.max(now + graceMs, this.fenceForKey(keyId));
    const held = this.policies.cap(keyId, at);
    return { expiresAt: held.expiresCap as number, fenceUntil: at - graceMs };
  }

  /** This period's quota use, or null without a quota. */
  quotaUsage(now: number): { used: number; resetAt: number } | null {
    const quota = this.policies.account?.quota;
    if (!quota) return null;
    this.quota = quotaAt(this.quota, quota, now);
    return { used: this.quota.used, resetAt: periodAt(quota.period, now).end };
  }

  /** The usage rows held (recent hours, exact as of now) and each key's last use. */
  live(): { rows: UsageRow[]; lastUsed: Record<string, number> } {
    const lastUsed: Record<string, number> = {};
    for (const [keyId, { at }] of this.lastUsed) lastUsed[keyId] = at;
    return { rows: this.usage.current(), lastUsed };
  }

  /** Quota webhooks the current count has crossed and not yet recorded. */
  dueQuotaEvents(now: number): DueQuotaEvent[] {
    const quota = this.policies.account?.quota;
    return quota && this.quota ? dueQuotaEvents(this.quota, quota, now) : [];
  }

  /** Records that a quota event of the period starting at `periodStart` was recorded (sent once per period). */
  quotaNoticed(type: QuotaEvent, periodStart: number): void {
    if (this.quota?.start !== periodStart) return;
    this.quota.notified = { ...this.quota.notified, [type]: true };
    this.dirty = true;
  }

  /** What a rollup to D1 writes: the dirty usage rows and the last uses not rolled up yet. */
  takeRollup(): { rows: Array<{ row: UsageRow; version: number }>; lastUsed: Array<{ keyId: string; at: number }> } {
    const lastUsed = [...this.lastUsed]
      .filter(([, use]) => use.at > use.rolled)
      .map(([keyId, { at }]) => ({ keyId, at }));
    return { rows: this.usage.takeDirty(), lastUsed };
  }

  /** After a rollup succeeded: its rows are clean (unless changed since) and its last uses rolled. */
  rolledUp(batch: ReturnType<Ledger["takeRollup"]>, now: number): void {
    this.usage.rolledUp(batch.rows, now);
    for (const { keyId, at } of batch.lastUsed) {
      const use = this.lastUsed.get(keyId);
      if (use) use.rolled = Math.max(use.rolled, at);
    }
    this.dirty = true;
  }

  /** The counts to persist; windows that have drained and rolled-up last uses are dropped. */
  snapshot(now: number): LedgerSnapshot {
    const windows: Record<string, PersistedWindow> = {};
    for (const [budget, window] of this.windows) {
      if (window.used(now) === 0) this.windows.delete(budget);
      else windows[budget] = persisted(window);
    }
    const lastUsed: Record<string, number> = {};
    for (const [keyId, use] of this.lastUsed) {
      if (use.at > use.rolled) lastUsed[keyId] = use.at;
      else this.lastUsed.delete(keyId);
    }
    // Horizons in the past fence nothing any more (a key's default is the restart horizon, never later).
    for (const horizons of [this.keyHorizons, this.budgetHorizons]) {
      for (const [id, horizon] of horizons) if (horizon <= now) horizons.delete(id);
    }
    this.dirty = false;
    return {
      windows,
      shared: this.shared && persisted(this.shared),
      quota: this.quota,
      usage: this.usage.snapshot(),
      lastUsed,
      horizon: this.horizon,
      persistedAt: now,
    };
  }

  /** Takes in what a caller hands over: the unused tokens of its leases, and its usage report. */
  private takeIn(request: ReportRequest, now: number): void {
    for (const release of request.release ?? []) {
      this.windows.get(this.policies.budgetOf(release.keyId))?.release(release.keyBucket, release.tokens);
      if (release.accountBucket !== undefined) this.shared?.release(release.accountBucket, release.tokens);
      if (this.quota && release.periodStart === this.quota.start) {
        this.quota.used = Math.max(0, this.quota.used - release.units);
      }
    }
    for (const [keyId, { hours, lastUsedAt }] of Object.entries(request.report ?? {})) {
      this.usage.addHours(keyId, hours);
      this.used(keyId, Math.min(lastUsedAt, now));
    }
  }

  private used(keyId: string, at: number): void {
    const use = this.lastUsed.get(keyId);
    if (!use) this.lastUsed.set(keyId, { at, rolled: 0 });
    else use.at = Math.max(use.at, at);
  }

  /** The policies that apply to a key now, or null when it must be refused (401). */
  private applicable(keyId: string, accountId: string, now: number): Applied | null {
    const { key, expiry } = this.policies.standing(keyId, accountId, now);
    const account = this.policies.account;
    if (!key || !account) return null;
    const budget = this.policies.budgetOf(keyId);
    const keyWindow = fitLimit(this.windows.get(budget), this.limitOf(key, account));
    this.windows.set(budget, keyWindow);
    this.shared = account.shared ? fitLimit(this.shared, account.shared) : undefined;
    let quota: Applied["quota"];
    // A test key's requests never count against the quota (CONTRACT §8): for them it does not apply.
    if (account.quota && key.mode !== "test") {
      this.quota = quotaAt(this.quota, account.quota, now);
      quota = { ...account.quota, count: this.quota };
    }
    return { key, budget, expiry, keyWindow, shared: this.shared, quota };
  }

  /** The key's own limit, else its account's, else the gateway's default. */
  private limitOf(key: KeyPolicy, account: AccountPolicy): RateLimit {
    return effectiveRateLimit(key.rateLimit, account.keyDefault, this.settings.defaultRateLimit);
  }

  /** One request's decision, counted (and its lease granted) at once. */
  private decide(request: CheckRequest, now: number): Decision {
    const applied = this.applicable(request.keyId, request.accountId, now);
    if (!applied) return { outcome: "unauthorized" };
    if (request.admit) {
      const refusal = this.refusal(request, applied, now);
      if (refusal) {
        // Needing the senders decides nothing yet: the caller reads them and asks again.
        if (refusal.outcome !== "needs_senders") this.usage.add(applied.key.id, now, USAGE_OF_REFUSAL[refusal.outcome]);
        return refusal;
      }
      applied.keyWindow.record(now);
      applied.shared?.record(now);
      if (applied.quota) applied.quota.count.used += request.cost;
      this.usage.add(applied.key.id, now, "admitted");
      this.used(applied.key.id, now);
    }
    const lease = this.grant(request, applied, now);
    return { outcome: "ok", limits: this.limits(applied, now), ...(lease && { lease }) };
  }

  /** A lease for another key of the account, deciding no request. */
  private leaseFor(want: LeaseWant, accountId: string, now: number): LeaseGrant {
    const applied = this.applicable(want.keyId, accountId, now);
    if (!applied) return { outcome: "unauthorized" };
    const lease = this.grant(want, applied, now);
    return { outcome: "ok", limits: this.limits(applied, now), ...(lease && { lease }) };
  }

  /** The first policy that refuses the request, in the contract's order, or undefined. */
  private refusal(request: CheckRequest, applied: Applied, now: number): Refusal | undefined {
    const { key, keyWindow, shared, quota } = applied;
    // Scope, then the client's address, then the senders (restrictions/decide.ts): the same rule as a lease's.
    const restricted = restrictedBy(key, request);
    if (restricted === "needs_senders") return { outcome: "needs_senders" };
    if (restricted) return { outcome: "forbidden", reason: restricted, limits: this.limits(applied, now) };
    // A 429 repeated by the caller still answers 403 first: it carries what decides that.
    const scopes = key.scopes;
    const rules = restrictionsOf(key);
    if (keyWindow.remaining(now) < 1) {
      const held = this.held(this.budgetHorizons.get(applied.budget), now);
      return { outcome: "rate_limited", policy: "key", limits: this.limits(applied, now), scopes, ...rules, ...held };
    }
    if (shared && shared.remaining(now) < 1) {
      const held = this.held(this.horizon, now);
      return {
        outcome: "rate_limited",
        policy: "account",
        limits: this.limits(applied, now),
        scopes,
        ...rules,
        ...held,
      };
    }
    if (quota && request.cost > 0 && quota.count.used + request.cost > quota.limit) {
      const held = this.held(this.horizon, now);
      return { outcome: "quota_exceeded", limits: this.limits(applied, now), scopes, ...rules, ...held };
    }
    return undefined;
  }

  /** While leases drawn on a budget are live, their unused tokens may come back: when, at most 5 s away. */
  private held(horizon: number | undefined, now: number): { heldUntil?: number } {
    if (horizon === undefined || horizon <= now) return {};
    return { heldUntil: Math.min(horizon + RETURN_MS, now + MAX_HELD_WAIT_MS) };
  }

  /** A lease for a busy key: at most a share of what remains under every policy, counted at once. */
  private grant(
    request: Pick<CheckRequest, "want" | "leaseMs" | "cost">,
    applied: Applied,
    now: number,
  ): Lease | undefined {
    if (request.want <= 0 || request.leaseMs <= 0) return undefined;
    const { key, budget, expiry, keyWindow, shared, quota } = applied;
    let tokens = Math.min(Math.floor(request.want), Math.floor(keyWindow.remaining(now) * LEASE_SHARE));
    if (shared) tokens = Math.min(tokens, Math.floor(shared.remaining(now) * LEASE_SHARE));
    const units = quota && request.cost > 0;
    if (units) tokens = Math.min(tokens, Math.floor(((quota.limit - quota.count.used) * LEASE_SHARE) / request.cost));
    // Never past the key's expiry, nor, for units of a quota, past its period: budget of one period admits in no other.
    let expiresAt = Math.min(
      now + Math.min(request.leaseMs, this.settings.leaseMs),
      expiry ?? Number.POSITIVE_INFINITY,
    );
    if (units) expiresAt = Math.min(expiresAt, periodAt(quota.period, now).end);
    if (tokens <= 0 || expiresAt <= now) return undefined;
    const keyBucket = keyWindow.record(expiresAt, tokens);
    const accountBucket = shared?.record(expiresAt, tokens);
    if (quota) quota.count.used += tokens * request.cost;
    this.keyHorizons.set(key.id, Math.max(this.fenceForKey(key.id), expiresAt));
    this.budgetHorizons.set(budget, Math.max(this.budgetHorizons.get(budget) ?? 0, expiresAt));
    this.horizon = Math.max(this.horizon, expiresAt);
    return {
      tokens,
      units: quota ? tokens * request.cost : 0,
      expiresAt,
      scopes: key.scopes,
      // Beside its scopes: an isolate decides the key's restrictions from the lease as this ledger would.
      ...restrictionsOf(key),
      keyBucket,
      accountBucket,
      periodStart: quota?.count.start,
    };
  }

  /** Every policy's state as of now, for the headers. */
  private limits(applied: Applied, now: number): Limits {
    const { keyWindow, shared, quota } = applied;
    let quotaState: QuotaState | undefined;
    if (quota) {
      const { start, end } = periodAt(quota.period, now);
      quotaState = {
        limit: quota.limit,
        period: quota.period,
        periodSeconds: (end - start) / 1000,
        used: Math.min(quota.count.used, quota.limit),
        resetAt: end,
      };
    }
    return {
      key: windowState(keyWindow, now),
      ...(shared && { account: windowState(shared, now) }),
      ...(quotaState && { quota: quotaState }),
    };
  }
}
