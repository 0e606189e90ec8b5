/**
 * An account's budget holder in one location (binding BUDGET_HOLDER, one
 * Durable Object per `{accountId}@{location}`): the middle of the lease
 * tree. The edge runs many isolates per location, each seeing a fraction of
 * an account's traffic, too little to hold leases of its own, while the
 * account's gate may be a continent away. The holder, created near the
 * traffic that first reaches it, sees the whole location's demand: it holds
 * leases from the gate sized to that demand, refreshed ahead, and answers
 * the location's isolates in about a millisecond: a request from its leases,
 * a part of a lease for an isolate's busy key, or, when it holds nothing,
 * by asking the gate for them (what `gateCalls` in its answer reports).
 *
 * It is a LeaseCaller (caller.ts) like an isolate, and speaks the gate's
 * protocol both ways. It keeps nothing in storage: the leases it holds were
 * counted by the gate when granted, so an evicted holder loses only unused
 * tokens (under-admission until their window passes, never over-admission),
 * and what it owes the gate rides on its next call, or on its settlement
 * half a second after its leases end; what an isolate hands in is sent on
 * within FLUSH_MS, with its next call if one comes sooner. A change that must hold everywhere waits at the gate until the
 * holder's leases, and so every part of them, have ended.
 */
import { DurableObject } from "cloudflare:workers";
import { getConfig } from "../config";
import { logHolder } from "../log";
import { newStats } from "../stats";
import { BusyTime } from "./busy";
import { type CallerContext, type KeyRef, LeaseCaller, type Need } from "./caller";
import { GateClient } from "./client";
import { type KeyState, LeaseBook } from "./leases";
import type { CheckRequest, CheckResult, LeaseGrant, ReportRequest } from "./protocol";

/** How often a busy holder logs its line (busy time and calls, for the benchmark). */
const LOG_EVERY_MS = 1_000;

/** Calls counted for one answer: the gate calls it waited for. */
type Counted = { objectCalls: number; accountGateCalls: number };

/**
 * How soon what an isolate hands in goes on to the gate, at the latest. Each
 * flush is a billed gate call: at 500 ms an account with isolates reporting
 * cost two a second; at 2 s usage is still exact within 5 s of a request
 * (test/edge/exactness.edge.ts).
 */
const FLUSH_MS = 2_000;

export class BudgetHolder extends DurableObject<Env> {
  private readonly book = new LeaseBook();
  /** Accounts with a flush pending. */
  private readonly flushing = new Set<string>();
  private readonly caller = new LeaseCaller(this.book);
  /** Calls and background work open, and their time: the time it cannot hibernate. */
  private readonly busyTime = new BusyTime();
  /** When the last holder line was logged (one at most every LOG_EVERY_MS while it works, and after each report). */
  private loggedAt = 0;

  /** Decides a request of one of its isolates (admit), or gives an isolate parts of its leases. */
  async check(request: CheckRequest): Promise<CheckResult> {
    return this.busy(async () => {
      const now = Date.now();
      const counted: Counted = { objectCalls: 0, accountGateCalls: 0 };
      const ctx = this.context(counted);
      const handedIn = request.release !== undefined || request.report !== undefined;
      this.book.takeIn(request.accountId, request, now);
      const key: KeyRef = {
        keyId: request.keyId,
        accountId: request.accountId,
        keyVersion: request.keyVersion,
        accountVersion: request.accountVersion,
      };
      // What the isolate read of its request: the key's restrictions are decided here on the same facts.
      const { scope, cost, clientIp, sending, senders } = request;
      const need: Need = { scope, cost, clientIp, sending, senders };
      let result: CheckResult;
      if (request.admit) {
        const { source: _source, gateCalls: _gateCalls, ...decision } = await this.caller.decide(ctx, key, need, now);
        result = decision as CheckResult;
      } else {
        result = await this.standing(ctx, key, need, request, now);
      }
      const state = this.book.stateOf(key.keyId, key.accountId, now);
      if (result.outcome === "ok" && request.want > 0) {
        const lease = this.handOn(ctx, state, need, request, Date.now());
        if (lease) result = { ...result, lease };
      }
      const others = this.siblings(ctx, request, Date.now());
      if (others) result = { ...result, others };
      if (handedIn) this.flushSoon(request.accountId);
      return { ...result, gateCalls: counted.accountGateCalls };
    });
  }

  /** Takes in what an isolate owes the gate; it goes on within FLUSH_MS. */
  async report(request: ReportRequest): Promise<void> {
    return this.busy(async () => {
      this.book.takeIn(request.accountId, request, Date.now());
      this.flushSoon(request.accountId);
    });
  }

  /**
   * Sends what isolates handed in on to the gate within FLUSH_MS, unless a
   * call of this holder's carries it first (most do, under steady traffic):
   * usage stays exact within seconds at one call per FLUSH_MS at most.
   */
  private flushSoon(accountId: string): void {
    if (this.flushing.has(accountId)) return;
    this.flushing.add(accountId);
    const flushed = new Promise((resolve) => setTimeout(resolve, FLUSH_MS)).then(async () => {
      this.flushing.delete(accountId);
      const { upstream, done } = this.context(newStats()).later(accountId, "report");
      await this.caller.flush(upstream, accountId, Date.now());
      done();
    });
    void this.busy(() => flushed, false);
  }

  /** The key's standing for an isolate's refresh: from a lease held here, else from the gate (which may grant one). */
  private async standing(
    ctx: CallerContext,
    key: KeyRef,
    need: Need,
    request: CheckRequest,
    now: number,
  ): Promise<CheckResult> {
    const state = this.book.stateOf(key.keyId, key.accountId, now);
    const limits = this.book.heldLimits(state, now);
    if (limits) return { outcome: "ok", limits };
    const want = {
      want: Math.max(request.want, this.book.leaseWant(state, ctx.maxLeaseMs).want),
      leaseMs: request.leaseMs,
    };
    const asked = this.caller.request(ctx, state, need, { admit: false, key, ...clamp(want, ctx) }, now);
    const answered = await this.caller.send(ctx, ctx.upstream(key.accountId), state, asked);
    // The gate's lease stays here (send took it in); the isolate gets a part of it below.
    const { others: _others, ...result } = answered as CheckResult & { lease?: unknown };
    delete result.lease;
    return result as CheckResult;
  }

  /** Part of a held lease for an isolate's busy key; refreshes this holder's lease ahead as isolates drain it. */
  private handOn(ctx: CallerContext, state: KeyState, need: Need, request: CheckRequest, now: number) {
    const part = this.book.subLease(state, request.want, request.leaseMs, now);
    this.caller.refreshAhead(ctx, state, need, now, { want: request.want * 2, leaseMs: request.leaseMs });
    if (!part) return undefined;
    const { limits: _limits, granted: _granted, grantedAt: _at, ...lease } = part;
    return lease;
  }

  /** Parts of held leases for the other keys an isolate asked about (none for a key this holder holds nothing of). */
  private siblings(ctx: CallerContext, request: CheckRequest, now: number): Record<string, LeaseGrant> | undefined {
    let others: Record<string, LeaseGrant> | undefined;
    for (const want of request.leases ?? []) {
      const state = this.book.stateOf(want.keyId, request.accountId, now);
      const part = this.book.subLease(state, want.want, want.leaseMs, now);
      const need = { scope: "", cost: want.cost };
      this.caller.refreshAhead(ctx, state, need, now, { want: want.want * 2, leaseMs: want.leaseMs });
      if (!part) continue;
      const { limits, granted: _granted, grantedAt: _at, ...lease } = part;
      others = { ...others, [want.keyId]: { outcome: "ok", limits, lease } };
    }
    return others;
  }

  /** Where this holder's calls go: the account's gate, counted into `counted` for the answer. */
  private context(counted: Counted): CallerContext {
    return {
      upstream: () => new GateClient(this.env.RATE_LIMITER, { stats: counted }),
      later: (_accountId, task) => ({
        upstream: new GateClient(this.env.RATE_LIMITER, { stats: newStats() }),
        done: () => {
          if (task === "report") this.logBusy();
        },
      }),
      background: (work) => {
        void this.busy(() => work, false);
      },
      maxLeaseMs: getConfig(this.env).LEASE_MS,
    };
  }

  /** A line for the benchmark: how long this holder could not hibernate since the last line, and its calls. */
  private logBusy(): void {
    const now = Date.now();
    this.loggedAt = now;
    logHolder(this.busyTime.take(now));
  }

  /** Runs one call (or background task), counting the time any is open (billed duration: no hibernation then). */
  private async busy<T>(work: () => Promise<T>, call = true): Promise<T> {
    try {
      return await this.busyTime.run(work, call);
    } finally {
      if (Date.now() - this.loggedAt >= LOG_EVERY_MS) this.logBusy();
    }
  }
}

const clamp = (want: { want: number; leaseMs: number }, ctx: CallerContext) => ({
  want: want.want,
  leaseMs: Math.min(Math.max(want.leaseMs, 1_000), ctx.maxLeaseMs),
});
