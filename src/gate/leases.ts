/**
 * What one caller of the gate (an isolate) holds between calls, in one
 * object with the time passed in: for busy keys, leases — tokens (and quota
 * units) the account's gate has already counted against every policy,
 * spendable here until they expire, so most requests need no round trip;
 * the demand that sizes them; what the caller owes the gate (unused tokens
 * of expired leases, usage of what it answered itself), which rides on the
 * next call to that account's gate; and the 429s it may repeat without
 * asking (until their Retry-After).
 *
 * Demand is measured per key, from completed time slots only, so a quiet key
 * or a fresh burst never gets a lease and is answered exactly. A lease is
 * sized to cover about REQUESTS_PER_LEASE requests: 1 s for a busy key, up to
 * LEASE_MS for a slow one (a key at 2 requests a second holds ~4 s).
 *
 * A lease carries the key's scopes and restrictions as the gate had them, so
 * a request it answers is refused (403) exactly as the gate would refuse it
 * (restrictions/decide.ts): the answer never depends on whether a lease was held.
 *
 * Only plain data lives here: Workers forbid awaiting one request's I/O from
 * another, so a call (authorize.ts) writes its result into this state when it
 * lands, and other requests simply read it.
 */
import { ClockCache } from "../cache";
import { type Forbidden, type RequestFacts, type Restrictions, refusal, restrictionsOf } from "../restrictions/decide";
import { hourOf } from "./calendar";
import type { Lease, LeaseGrant, LeaseWant, Limits, Release, UsageCounts, UsageReport } from "./protocol";

/** Fast demand is counted over slots this long (a busy key's rate). */
const SLOT_MS = 100;
const HALF_LIFE_SLOTS = 10;
/** Requests in one slot that make a key busy by its burst alone. */
const BUSY_SLOT = 2;
/** Slow demand: requests in the last SECONDS whole seconds (a key at a few requests a second). */
const SECONDS = 8;
/** Below this rate (requests per second) a key gets no lease: every request is answered exactly. */
const MIN_LEASE_RATE = 0.5;
/**
 * Unless its account is this busy here (requests per second, all its keys):
 * then a key from MIN_SIBLING_RATE up is leased too, since the account's
 * calls come often enough to carry its leases and settlements.
 */
const BUSY_ACCOUNT_RATE = 2;
const MIN_SIBLING_RATE = 0.2;
/** A lease is sized to last about this many requests, but at least MIN_LEASE_MS and at most LEASE_MS. */
const REQUESTS_PER_LEASE = 10;
const MIN_LEASE_MS = 1_000;
const MAX_KEYS = 10_000;
const STATE_TTL_MS = 600_000;
/** The longest part of a lease a holder hands on to an isolate. */
const SUB_LEASE_MS = 3_000;
/** At most this many other keys' leases ride on one call. */
const MAX_OTHERS = 16;

export interface HeldLease extends Lease {
  limits: Limits;
  granted: number;
  grantedAt: number;
}

/** A 429 this caller repeats without asking until `until` (the Retry-After it was given, at most MAX_BLOCK_MS). */
export interface Block extends Restrictions {
  until: number;
  limits: Limits;
  outcome: "rate_limited" | "quota_exceeded";
  policy: "key" | "account" | "quota";
  /** The key's scopes (and restrictions) when refused: a request it may not make still gets 403 first. */
  scopes: string[];
  /** When budget held by leases may come back, if that set the Retry-After (protocol.ts). */
  heldUntil?: number;
}

/**
 * A 429 is repeated without asking the gate for at most this long, even when
 * its Retry-After is later (a quota's period end): a refused key costs one
 * gate call a minute per isolate, and a raised limit or quota reaches every
 * isolate within a minute (the admin's own isolate at once).
 */
export const MAX_BLOCK_MS = 60_000;

/** Requests in each of the last SECONDS whole seconds. */
interface SecondsRing {
  second: number;
  seconds: number[];
}

/** What this caller knows of one account: its keys, its demand, a 429 of its shared limit or quota. */
interface AccountState {
  keys: Map<string, KeyState>;
  demand: SecondsRing;
  blocked?: Block;
}

/** What this caller knows of one key: leases, recent demand, what it owes the gate. */
export interface KeyState {
  keyId: string;
  accountId: string;
  /** Live leases, oldest first; spent oldest first, since their tokens were counted already. */
  leases: HeldLease[];
  /** A call that brings this key a lease is in flight (a flag, never a promise: see above). */
  refreshing: boolean;
  /** Quota units of the key's last request: what a lease's units are sized by. */
  cost: number;
  /** Unused tokens of expired leases, to give back. */
  unused: Release[];
  /** Usage of requests not yet reported, per hour start. */
  hours: Map<number, Partial<UsageCounts>>;
  lastUsedAt: number;
  slot: number;
  current: number;
  previous: number;
  /** Recent peak demand per slot, halving every HALF_LIFE_SLOTS of quiet: a key hot a moment ago ramps up at once. */
  recent: number;
  ring: SecondsRing;
  /** The demand of all of the account's keys here (shared by its keys' states). */
  account: AccountState;
  blocked?: Block;
}

export type LeaseDecision =
  | { outcome: "ok"; limits: Limits }
  /** `reason`: as the gate's (protocol.ts Decision). */
  | { outcome: "forbidden"; limits: Limits; reason: Forbidden };

const emptyRing = (): SecondsRing => ({ second: 0, seconds: new Array(SECONDS).fill(0) });

/** Counts one request in the ring's current second. */
function tick(ring: SecondsRing, now: number): void {
  const second = Math.floor(now / 1000);
  if (ring.second !== second) {
    for (let s = ring.second + 1; s <= Math.min(second, ring.second + SECONDS); s++) ring.seconds[s % SECONDS] = 0;
    ring.second = second;
  }
  ring.seconds[second % SECONDS] = (ring.seconds[second % SECONDS] as number) + 1;
}

/** Requests per second over the completed seconds of the ring, as of its last tick. */
function sustainedRate(ring: SecondsRing): number {
  let past = 0;
  for (let s = ring.second - SECONDS + 1; s < ring.second; s++) past += ring.seconds[s % SECONDS] as number;
  return past / (SECONDS - 1);
}

/** The newest lease of a key. */
const newest = (state: KeyState) => state.leases[state.leases.length - 1];

export class LeaseBook {
  private readonly keys = new ClockCache<KeyState>(MAX_KEYS);
  private readonly accounts = new Map<string, AccountState>();
  /** Per account, the keys that owe it something: any call to the account's gate carries them all. */
  private readonly owing = new Map<string, Set<KeyState>>();

  /** This caller's state for a key, created on first use. */
  stateOf(keyId: string, accountId: string, now: number): KeyState {
    let state = this.keys.get(keyId, now);
    if (!state) {
      const account = this.accountOf(accountId);
      state = {
        keyId,
        accountId,
        leases: [],
        refreshing: false,
        cost: 1,
        unused: [],
        hours: new Map(),
        lastUsedAt: 0,
        slot: 0,
        current: 0,
        previous: 0,
        recent: 0,
        ring: emptyRing(),
        account,
      };
      this.keys.set(keyId, state, STATE_TTL_MS, now);
      account.keys.set(keyId, state);
    }
    return state;
  }

  private accountOf(accountId: string): AccountState {
    let account = this.accounts.get(accountId);
    if (!account) {
      // Bounded like the key states: past MAX_KEYS accounts, the oldest is forgotten.
      if (this.accounts.size >= MAX_KEYS) this.accounts.delete(this.accounts.keys().next().value as string);
      account = { keys: new Map(), demand: emptyRing() };
      this.accounts.set(accountId, account);
    }
    return account;
  }

  /** Counts a request toward the key's demand (and its account's). */
  countDemand(state: KeyState, now: number): void {
    const slot = Math.floor(now / SLOT_MS);
    if (state.slot !== slot) {
      const elapsed = slot - state.slot;
      state.recent = Math.max(state.current, state.recent * 0.5 ** (elapsed / HALF_LIFE_SLOTS));
      state.previous = elapsed === 1 ? state.current : 0;
      state.slot = slot;
      state.current = 0;
    }
    state.current++;
    tick(state.ring, now);
    tick(state.account.demand, now);
  }

  /**
   * The lease worth asking for, from the demand of completed slots (0 tokens:
   * none). Its duration comes from the key's sustained rate over whole seconds
   * (a slow key holds longer leases); a key busy only in the last 100 ms slots
   * gets MIN_LEASE_MS. Its tokens cover the higher of the two rates. A slow key
   * of an account busy here is leased from MIN_SIBLING_RATE up.
   */
  leaseWant(state: KeyState, maxLeaseMs: number): { want: number; leaseMs: number } {
    // Called right after countDemand(state, now): the rings hold the seconds up to this one.
    const sustained = sustainedRate(state.ring);
    // One request in a 100 ms slot says nothing of a rate; two or more in a past slot is a busy key.
    const peak = Math.max(state.previous, state.recent);
    const burst = peak >= BUSY_SLOT ? (peak * 1000) / SLOT_MS : 0;
    const floor = sustainedRate(state.account.demand) >= BUSY_ACCOUNT_RATE ? MIN_SIBLING_RATE : MIN_LEASE_RATE;
    if (maxLeaseMs <= 0 || Math.max(sustained, burst) < floor) return { want: 0, leaseMs: 0 };
    const forRequests = sustained >= floor ? (REQUESTS_PER_LEASE * 1000) / sustained : MIN_LEASE_MS;
    const leaseMs = Math.min(maxLeaseMs, Math.max(MIN_LEASE_MS, forRequests));
    return { want: Math.ceil((Math.max(sustained, burst) * leaseMs * 1.25) / 1000), leaseMs };
  }

  /**
   * The leases worth asking for the account's other keys in a call about one
   * of them: keys with demand whose newest lease is half spent or gone, and
   * no call for them in flight. They are marked `refreshing` until the answer
   * lands (installOthers).
   */
  othersToLease(accountId: string, exceptKeyId: string, now: number, maxLeaseMs: number): LeaseWant[] {
    const wants: LeaseWant[] = [];
    const siblings = this.accounts.get(accountId)?.keys;
    if (!siblings || maxLeaseMs <= 0) return wants;
    for (const [keyId, state] of siblings) {
      if (wants.length >= MAX_OTHERS) break;
      if (keyId === exceptKeyId || state.refreshing) continue;
      if (now - state.ring.second * 1000 > STATE_TTL_MS) {
        siblings.delete(keyId);
        continue;
      }
      // No request in the demand window: nothing to lease ahead for.
      if (now - state.ring.second * 1000 > SECONDS * 1000) continue;
      this.prune(state, now);
      // Riding along costs nothing: a sibling half-way through its lease gets the next one now.
      if (state.leases.length > 0 && !halfSpent(state, now)) continue;
      const { want, leaseMs } = this.leaseWant(state, maxLeaseMs);
      if (want === 0) continue;
      state.refreshing = true;
      wants.push({ keyId, want, leaseMs, cost: state.cost });
    }
    return wants;
  }

  /** Takes in the leases a call brought for other keys; every key asked for is no longer refreshing. */
  installOthers(accountId: string, asked: LeaseWant[], granted: Record<string, LeaseGrant> | undefined, now: number) {
    const siblings = this.accounts.get(accountId)?.keys;
    for (const { keyId } of asked) {
      const state = siblings?.get(keyId);
      if (!state) continue;
      state.refreshing = false;
      const grant = granted?.[keyId];
      if (grant) install(state, grant, now);
    }
  }

  /**
   * Spends a token (and `cost` units) of a live lease, if any; null means the
   * gate must be asked (as when the lease's key needs senders not read).
   */
  fromLease(state: KeyState, need: RequestFacts & { cost: number }, now: number): LeaseDecision | null {
    const { cost } = need;
    this.prune(state, now);
    const last = newest(state);
    if (!last) return null;
    const refused = refusal(last, need);
    if (refused === "needs_senders") return null;
    if (refused) return { outcome: "forbidden", limits: last.limits, reason: refused };
    // Units matter only where a quota applies (the lease then names its period, which it never outlives).
    const lease = state.leases.find((l) => l.tokens > 0 && (l.periodStart === undefined || l.units >= cost));
    if (!lease) return null;
    lease.tokens--;
    if (lease.periodStart !== undefined) lease.units -= cost;
    const { key, account, quota } = lease.limits;
    return {
      outcome: "ok",
      limits: {
        key: { ...key, remaining: key.remaining + lease.tokens },
        account: account && { ...account, remaining: account.remaining + lease.tokens },
        quota: quota && { ...quota, used: quota.used - lease.units },
      },
    };
  }

  /**
   * Hands part of the key's newest live lease on to a caller below (an
   * isolate of this location): at most `want` tokens and half of what the
   * lease still holds, the same buckets and period (the gate's), never past
   * the lease's own expiry. The tokens leave this lease: a caller below
   * gives back what it does not use.
   */
  subLease(state: KeyState, want: number, leaseMs: number, now: number): HeldLease | undefined {
    this.prune(state, now);
    const from = newest(state);
    if (!from || want <= 0 || leaseMs <= 0) return undefined;
    const tokens = Math.min(Math.floor(want), Math.floor(from.tokens / 2));
    if (tokens <= 0) return undefined;
    const units = from.periodStart === undefined ? 0 : Math.min(from.units, tokens * state.cost);
    from.tokens -= tokens;
    from.units -= units;
    const { scopes, keyBucket, accountBucket, periodStart, limits } = from;
    // A part lasts at most SUB_LEASE_MS: what it answers reaches the gate within seconds (usage is exact in 5 s).
    const expiresAt = Math.min(from.expiresAt, now + Math.min(leaseMs, SUB_LEASE_MS));
    return {
      tokens,
      units,
      expiresAt,
      scopes,
      // The key's restrictions travel with its scopes, as on the gate's own lease.
      ...restrictionsOf(from),
      keyBucket,
      accountBucket,
      periodStart,
      limits,
      granted: tokens,
      grantedAt: now,
    };
  }

  /** The limits a key's newest live lease knows (what this caller may answer with), if it holds one. */
  heldLimits(state: KeyState, now: number): Limits | undefined {
    this.prune(state, now);
    return newest(state)?.limits;
  }

  /** Takes in what a caller below owes the account's gate: it rides on this caller's next call upstream. */
  takeIn(accountId: string, owed: { release?: Release[]; report?: UsageReport }, now: number): void {
    for (const keyId of Object.keys(owed.report ?? {})) this.stateOf(keyId, accountId, now);
    for (const release of owed.release ?? []) this.stateOf(release.keyId, accountId, now);
    this.restoreOwed(owed);
  }

  /** Remembers a 429 to repeat without asking until its Retry-After: for the key, or for its whole account. */
  block(state: KeyState, block: Block): void {
    if (block.policy === "key") state.blocked = block;
    else state.account.blocked = block;
  }

  /** Forgets the 429s remembered for a key, or for an account and all its keys (an admin change of its limits). */
  unblock(accountId: string, keyId?: string): void {
    const account = this.accounts.get(accountId);
    if (!account) return;
    if (keyId !== undefined) {
      const state = account.keys.get(keyId);
      if (state) state.blocked = undefined;
      return;
    }
    account.blocked = undefined;
    for (const state of account.keys.values()) state.blocked = undefined;
  }

  /** A 429 this caller gave a request like this one and may repeat now, if any. */
  blockOf(state: KeyState, cost: number, now: number): Block | undefined {
    const own = state.blocked;
    if (own && own.until > now) return own;
    const account = state.account.blocked;
    if (!account || account.until <= now) return undefined;
    // A request that costs nothing is never refused by the quota; one that fits what the quota had left may pass.
    if (account.policy === "quota") {
      const quota = account.limits.quota;
      if (cost === 0 || (quota && cost <= quota.limit - quota.used)) return undefined;
    }
    return account;
  }

  /** Records what happened to one request of the key (or, with -1, corrects a count), to report with the next call. */
  recordUsage(state: KeyState, field: keyof UsageCounts, now: number, delta = 1): void {
    const hour = hourOf(now);
    const counts = state.hours.get(hour) ?? {};
    counts[field] = (counts[field] ?? 0) + delta;
    state.hours.set(hour, counts);
    if (field === "admitted" && delta > 0) state.lastUsedAt = now;
    this.owe(state);
  }

  /** Whether any key of the account owes its gate something. */
  owes(accountId: string): boolean {
    return this.owing.has(accountId);
  }

  /** Everything this caller owes an account's gate (unused tokens, reports), handed over once. */
  takeOwed(accountId: string, now: number): { release?: Release[]; report?: UsageReport } {
    const set = this.owing.get(accountId);
    if (!set) return {};
    this.owing.delete(accountId);
    const release: Release[] = [];
    const report: UsageReport = {};
    for (const state of set) {
      this.prune(state, now);
      release.push(...state.unused);
      state.unused = [];
      if (state.hours.size > 0) {
        report[state.keyId] = { hours: Object.fromEntries(state.hours), lastUsedAt: state.lastUsedAt };
        state.hours = new Map();
      }
    }
    return {
      release: release.length > 0 ? release : undefined,
      report: Object.keys(report).length > 0 ? report : undefined,
    };
  }

  /** Puts back what a failed call was to deliver, so the next call carries it. */
  restoreOwed(owed: { release?: Release[]; report?: UsageReport }): void {
    for (const [keyId, entry] of Object.entries(owed.report ?? {})) {
      const state = this.keys.get(keyId);
      if (!state) continue;
      for (const [hour, counts] of Object.entries(entry.hours)) {
        const into = state.hours.get(Number(hour)) ?? {};
        for (const [field, n] of Object.entries(counts)) {
          into[field as keyof UsageCounts] = (into[field as keyof UsageCounts] ?? 0) + (n as number);
        }
        state.hours.set(Number(hour), into);
      }
      state.lastUsedAt = Math.max(state.lastUsedAt, entry.lastUsedAt);
      this.owe(state);
    }
    for (const release of owed.release ?? []) {
      const state = this.keys.get(release.keyId);
      if (!state) continue;
      state.unused.push(release);
      this.owe(state);
    }
  }

  /** Moves expired leases' unused tokens to what is owed. */
  private prune(state: KeyState, now: number): void {
    while (state.leases.length > 0 && (state.leases[0] as HeldLease).expiresAt <= now) {
      const expired = state.leases.shift() as HeldLease;
      if (expired.tokens > 0 || expired.units > 0) {
        const { tokens, units, keyBucket, accountBucket, periodStart } = expired;
        state.unused.push({ keyId: state.keyId, tokens, units, keyBucket, accountBucket, periodStart });
        this.owe(state);
      }
    }
  }

  private owe(state: KeyState): void {
    const set = this.owing.get(state.accountId);
    if (set) {
      set.add(state);
      return;
    }
    // Bounded like the key states: past MAX_KEYS accounts owed, the oldest debt is dropped (its reports are lost).
    if (this.owing.size >= MAX_KEYS) this.owing.delete(this.owing.keys().next().value as string);
    this.owing.set(state.accountId, new Set([state]));
  }
}

/** Whether to fetch the next lease ahead: most of the newest one is spent, or its time is nearly up. */
export function shouldRefresh(state: KeyState, now: number): boolean {
  const last = newest(state);
  if (!last || state.refreshing) return false;
  return last.tokens * 4 <= last.granted || (last.expiresAt - now) * 10 <= last.expiresAt - last.grantedAt;
}

/** Whether the newest lease is half spent, in tokens or in time. */
function halfSpent(state: KeyState, now: number): boolean {
  const last = newest(state);
  if (!last) return true;
  return last.tokens * 2 <= last.granted || (last.expiresAt - now) * 2 <= last.expiresAt - last.grantedAt;
}

/** Takes in a gate's answer: a new lease joins the others; a refusal of the key voids them all. */
export function install(state: KeyState, result: { outcome: string; limits?: Limits; lease?: Lease }, now: number) {
  if (result.outcome === "unauthorized") state.leases = [];
  if (result.outcome === "ok" && result.lease && result.limits) {
    state.leases.push({ ...result.lease, limits: result.limits, granted: result.lease.tokens, grantedAt: now });
  }
}

/**
 * The key's policy as this caller last had it from the gate (its newest
 * lease, else its own 429), if any: what says, before asking, whether its
 * restrictions need a sending request's body read.
 */
export function heldRules(state: KeyState): Restrictions | undefined {
  return newest(state) ?? state.blocked;
}

/** The latest expiry among the key's leases (0 if none). */
export function leaseEnd(state: KeyState): number {
  return newest(state)?.expiresAt ?? 0;
}
