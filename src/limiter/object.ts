/**
 * The per-key Durable Object (binding RATE_LIMITER, one object per key id):
 * the single authority on a key's live status and its rate limit, answered in
 * one round trip per request.
 *
 * - Status (revoked, account disabled, expiry, scopes, limit) is loaded from
 *   D1 on first use, kept in the object's storage, and reloaded whenever the
 *   admin API changes it (`refresh`, `revoke`), or at the latest every
 *   POLICY_TTL_MS as a safety net. Revocation is sticky.
 * - Counts live in memory (no storage write per request); an alarm persists
 *   them within FLUSH_MS, writes `last_used_at` to D1 at most every
 *   LAST_USED_FLUSH_MS, and deletes the state once the window has drained.
 * - Leases: a hot key may take a few tokens ahead for up to LEASE_MS. They are
 *   counted here at grant time, and every status change waits until the
 *   leases granted before it have expired, so a change holds everywhere once
 *   `refresh`/`revoke` return.
 */
import { DurableObject } from "cloudflare:workers";
import { getConfig } from "../config";
import { getDb } from "../db/client";
import { findRecordById, type KeyPolicy } from "../keys/records";
import { allows } from "../keys/scopes";
import type { CheckRequest, CheckResult, Quota } from "./protocol";
import { SlidingWindow, type WindowSnapshot } from "./window";

export const POLICY_TTL_MS = 300_000;
export const FLUSH_MS = 1_000;
export const LAST_USED_FLUSH_MS = 30_000;
/** A lease never takes more than this share of what remains. */
const LEASE_SHARE = 0.1;

interface StoredPolicy {
  /** null when D1 has no such key. */
  policy: Omit<KeyPolicy, "revoked"> | null;
  revoked: boolean;
  /**
   * An expiry the admin API set here before writing it to D1 (rotation), so it
   * holds even if the D1 write then fails; kept until the next forced reload,
   * which reads the written value.
   */
  expiresCap?: number;
  loadedAt: number;
}

/** The earlier of two optional expiry times. */
function earliest(a: number | null, b: number | undefined): number | null {
  if (b === undefined) return a;
  return a === null ? b : Math.min(a, b);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class KeyLimiter extends DurableObject<Env> {
  private stored: StoredPolicy | undefined;
  private loading: Promise<StoredPolicy> | undefined;
  private loads = 0;
  private window: SlidingWindow | undefined;
  private windowDirty = false;
  private leaseHorizon = 0;
  private lastUsedAt = 0;
  private lastUsedFlushedAt = 0;
  private lastUsedWrittenAt = 0;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.stored = ctx.storage.kv.get<StoredPolicy>("policy");
    const snapshot = ctx.storage.kv.get<WindowSnapshot & { limit: number; windowMs: number }>("window");
    if (snapshot) this.window = new SlidingWindow(snapshot.limit, snapshot.windowMs, snapshot);
    this.lastUsedFlushedAt = ctx.storage.kv.get<number>("lastUsedFlushedAt") ?? 0;
  }

  /** Decides one request (and maybe a lease): status, then scope, then rate limit. */
  async check(request: CheckRequest): Promise<CheckResult> {
    const stored = await this.policyFor(request.keyId);
    const now = Date.now();
    const policy = stored.policy;
    const expiry = earliest(policy?.expiresAt ?? null, stored.expiresCap);
    if (!policy || stored.revoked || policy.accountDisabled || (expiry !== null && now >= expiry)) {
      return { outcome: "unauthorized" };
    }
    const window = this.windowFor(policy);
    for (const unused of request.release ?? []) window.release(unused.bucket, unused.count);
    const admitting = request.admit !== false;
    if (admitting && !allows(policy.scopes, request.scope))
      return { outcome: "forbidden", quota: this.quota(window, now) };
    if (admitting && window.remaining(now) < 1) return { outcome: "limited", quota: this.quota(window, now) };

    if (admitting) window.record(now);
    const result: CheckResult = { outcome: "ok", quota: this.quota(window, now) };
    const tokens = Math.min(Math.floor(request.want), Math.floor(result.quota.remaining * LEASE_SHARE));
    const leaseMs = getConfig(this.env).LEASE_MS;
    if (tokens > 0 && leaseMs > 0) {
      const expiresAt = Math.min(now + leaseMs, expiry ?? Number.POSITIVE_INFINITY);
      const bucket = window.record(expiresAt, tokens);
      this.leaseHorizon = Math.max(this.leaseHorizon, expiresAt);
      result.quota.remaining -= tokens;
      result.lease = { tokens, bucket, expiresAt, scopes: policy.scopes };
    } else if (!admitting) {
      return { outcome: "limited", quota: result.quota };
    }
    this.lastUsedAt = now;
    this.windowDirty = true;
    this.scheduleAlarm(now + FLUSH_MS);
    return result;
  }

  /** Reloads the key's status from D1; returns once no lease granted under the old status is live. */
  async refresh(keyId: string): Promise<void> {
    await this.reload(keyId, true);
    await this.fence();
  }

  /** Marks the key revoked for good; returns once no lease granted before is live. */
  async revoke(): Promise<void> {
    // No D1 read needed: a revoked key is refused whatever else is known of it.
    this.stored = { ...this.currentOrEmpty(), revoked: true };
    this.ctx.storage.kv.put("policy", this.stored);
    await this.fence();
  }

  /**
   * Makes the key expire at `at` at the latest (rotation's grace period),
   * ahead of the D1 write; returns once no lease granted before outlives it,
   * at once unless `at` is closer than the leases already granted.
   */
  async expireBy(at: number): Promise<void> {
    const current = this.currentOrEmpty();
    this.stored = { ...current, expiresCap: Math.min(at, current.expiresCap ?? Number.POSITIVE_INFINITY) };
    this.ctx.storage.kv.put("policy", this.stored);
    // Leases end by LEASE_MS; only a grace period shorter than that has any to wait out.
    if (this.leaseHorizon > at) await this.fence();
  }

  /** What is known of the key; loadedAt 0 makes the next check load the rest from D1. */
  private currentOrEmpty(): StoredPolicy {
    return this.stored ?? { policy: null, revoked: false, loadedAt: 0 };
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    if (this.windowDirty && this.window) {
      this.ctx.storage.kv.put("window", {
        ...this.window.snapshot(),
        limit: this.window.limit,
        windowMs: this.window.windowMs,
      });
      this.windowDirty = false;
    }
    if (this.lastUsedAt > this.lastUsedFlushedAt && now - this.lastUsedWrittenAt >= LAST_USED_FLUSH_MS) {
      await this.flushLastUsed(now);
    }
    const next: number[] = [];
    if (this.lastUsedAt > this.lastUsedFlushedAt) next.push(this.lastUsedWrittenAt + LAST_USED_FLUSH_MS);
    if (this.window && this.window.used(now) > 0) {
      next.push(this.window.drainedAt(now));
    } else if (this.window) {
      this.window = undefined;
      this.ctx.storage.kv.delete("window");
    }
    if (next.length > 0) this.scheduleAlarm(Math.min(...next));
  }

  private async flushLastUsed(now: number): Promise<void> {
    const keyId = this.stored?.policy?.id;
    if (!keyId) return;
    const at = this.lastUsedAt;
    await this.env.DB.prepare("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2").bind(at, keyId).run();
    this.lastUsedFlushedAt = at;
    this.lastUsedWrittenAt = now;
    this.ctx.storage.kv.put("lastUsedFlushedAt", at);
  }

  private quota(window: SlidingWindow, now: number): Quota {
    return {
      limit: window.limit,
      windowSeconds: window.windowMs / 1000,
      remaining: window.remaining(now),
      resetAt: window.resetAt(now),
    };
  }

  private windowFor(policy: Omit<KeyPolicy, "revoked">): SlidingWindow {
    const { limit, windowSeconds } = policy.rateLimit ?? getConfig(this.env).DEFAULT_RATE_LIMIT;
    const windowMs = windowSeconds * 1000;
    if (!this.window || this.window.limit !== limit || this.window.windowMs !== windowMs) {
      // A new limit keeps what was already admitted: lowering it cannot grant a fresh quota.
      this.window = new SlidingWindow(limit, windowMs, this.window?.snapshot());
    }
    return this.window;
  }

  private async policyFor(keyId: string): Promise<StoredPolicy> {
    if (this.stored && Date.now() - this.stored.loadedAt < POLICY_TTL_MS) return this.stored;
    try {
      return await this.reload(keyId);
    } catch (error) {
      // D1 unreachable: a policy we already hold is better than none (a revoked key is refused whatever it is).
      if (this.stored && (this.stored.loadedAt > 0 || this.stored.revoked)) return this.stored;
      throw error;
    }
  }

  /**
   * Reads the policy from D1. Concurrent callers share one read, except a
   * forced reload (after an admin write), which always reads anew; a read
   * that finishes after a newer one started is discarded.
   */
  private async reload(keyId: string, force = false): Promise<StoredPolicy> {
    if (this.loading && !force) return this.loading;
    const load = ++this.loads;
    const loading = (async () => {
      const record = await findRecordById(getDb(this.env.DB), keyId);
      const stored: StoredPolicy = {
        policy: record && {
          id: record.id,
          accountId: record.accountId,
          scopes: record.scopes,
          expiresAt: record.expiresAt,
          accountDisabled: record.accountDisabled,
          rateLimit: record.rateLimit,
        },
        revoked: (record?.revoked ?? false) || (this.stored?.revoked ?? false),
        // A forced reload follows an admin write to D1, which holds any cap set before it.
        expiresCap: force ? undefined : this.stored?.expiresCap,
        loadedAt: Date.now(),
      };
      if (load === this.loads) {
        this.stored = stored;
        this.ctx.storage.kv.put("policy", stored);
      }
      return this.stored ?? stored;
    })();
    this.loading = loading;
    try {
      return await loading;
    } finally {
      if (this.loading === loading) this.loading = undefined;
    }
  }

  /** Waits until every lease granted so far has expired. */
  private async fence(): Promise<void> {
    const wait = this.leaseHorizon - Date.now();
    if (wait > 0) await sleep(wait);
  }

  private scheduleAlarm(at: number): void {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }
}
