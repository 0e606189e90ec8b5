/**
 * The policies an account gate holds: the account's, and each key's as D1
 * had it when read, plus what the gate knows ahead of D1 (a revocation,
 * sticky; a rotation's shorter expiry; the budget a rotated key shares).
 * Plain data with no I/O: the Durable Object reads D1 and storage and hands
 * the results in (object.ts); the ledger reads them synchronously.
 *
 * A policy is read again only when it is missing, when an admin change
 * tells the gate to (a forced reload), or when a request names a newer
 * version than the one held: there are no periodic re-reads.
 */
import { type KeyStatus, keyStatus } from "../keys/status";
import type { AccountPolicy, KeyPolicy } from "./policy";

/** A key's policy as held. */
export interface HeldKey {
  /** null when D1 has no such key. */
  policy: KeyPolicy | null;
  /** Revoked here, ahead of D1: sticky whatever D1 says. */
  revoked: boolean;
  /** An expiry set here ahead of D1 (a rotation's grace), kept until a forced reload. */
  expiresCap?: number;
  /** The key whose rate-limit budget this one shares: a rotation's successor shares its predecessor's. */
  budget?: string;
}

/** The status of a key of the account at one instant, with its policy and effective expiry when it is live. */
export interface Standing {
  status: KeyStatus;
  key?: KeyPolicy;
  expiry: number | null;
}

/** Reads a key's held policy from storage (sync): how a restarted gate finds what it held. */
export type RestoreKey = (keyId: string) => HeldKey | undefined;

const earliest = (a: number | null, b: number | undefined) => (b === undefined ? a : a === null ? b : Math.min(a, b));

export class PolicyBook {
  /** undefined: not read yet; null: D1 has no such account. */
  account: AccountPolicy | null | undefined;
  private readonly keys = new Map<string, HeldKey>();

  constructor(
    account?: AccountPolicy | null,
    private readonly restore: RestoreKey = () => undefined,
  ) {
    this.account = account;
  }

  /** The key's held policy, from memory or (once) from storage. */
  key(keyId: string): HeldKey | undefined {
    let held = this.keys.get(keyId);
    if (!held) {
      held = this.restore(keyId);
      if (held) this.keys.set(keyId, held);
    }
    return held;
  }

  /** Whether the key's policy must be read from D1 before deciding: missing, or older than `version`. */
  keyIsStale(keyId: string, version = 0): boolean {
    const held = this.key(keyId);
    if (!held) return true;
    if (held.revoked && !held.policy) return false;
    return (held.policy?.version ?? 0) < version;
  }

  /** Whether the account's policy must be read before deciding: missing, another account, or older than `version`. */
  accountIsStale(accountId: string, version = 0): boolean {
    const account = this.account;
    if (account === undefined) return true;
    if (account === null) return false;
    return account.id !== accountId || account.version < version;
  }

  /**
   * Takes in a key's policy read from D1; returns the held entry if it
   * changed (to be stored). A forced read follows an admin write to D1,
   * which holds any expiry set ahead of it, so the cap goes.
   */
  setKey(keyId: string, policy: KeyPolicy | null, force: boolean): HeldKey | undefined {
    const current = this.key(keyId);
    const next: HeldKey = {
      policy,
      revoked: (policy?.revoked ?? false) || (current?.revoked ?? false),
      ...(!force && current?.expiresCap !== undefined && { expiresCap: current.expiresCap }),
      ...(current?.budget !== undefined && { budget: current.budget }),
    };
    this.keys.set(keyId, next);
    return same(current, next) ? undefined : next;
  }

  /** Takes in the account's policy read from D1; returns whether it changed (to be stored). */
  setAccount(policy: AccountPolicy | null): boolean {
    const changed = JSON.stringify(this.account) !== JSON.stringify(policy);
    this.account = policy;
    return changed;
  }

  /** Marks a key revoked for good; returns the entry to store. */
  revoke(keyId: string): HeldKey {
    const held: HeldKey = { ...(this.key(keyId) ?? { policy: null }), revoked: true };
    this.keys.set(keyId, held);
    return held;
  }

  /** Caps a key's expiry at `at` (never later than a cap it has); returns the entry to store. */
  cap(keyId: string, at: number): HeldKey {
    const current = this.key(keyId) ?? { policy: null, revoked: false };
    const held: HeldKey = { ...current, expiresCap: Math.min(at, current.expiresCap ?? Number.POSITIVE_INFINITY) };
    this.keys.set(keyId, held);
    return held;
  }

  /** Makes `successor` share `predecessor`'s rate-limit budget (rotation); returns the entry to store. */
  share(successor: string, predecessor: string): HeldKey {
    const current = this.key(successor) ?? { policy: null, revoked: false };
    const held: HeldKey = { ...current, budget: this.budgetOf(predecessor) };
    this.keys.set(successor, held);
    return held;
  }

  /** The id of the rate-limit budget a key counts against: its own, or the one it shares. */
  budgetOf(keyId: string): string {
    return this.key(keyId)?.budget ?? keyId;
  }

  /** A key of `accountId`'s status at `now` (keys/status.ts), with its policy and expiry when live. */
  standing(keyId: string, accountId: string, now: number): Standing {
    const held = this.key(keyId);
    const policy = held?.policy ?? null;
    const account = this.account;
    const expiry = earliest(policy?.expiresAt ?? null, held?.expiresCap);
    const owned = policy !== null && policy.accountId === accountId && account?.id === accountId;
    const status = keyStatus(
      owned ? { revoked: (held?.revoked ?? false) || policy.revoked, expiresAt: expiry } : null,
      account?.id === accountId ? account.disabled : null,
      now,
    );
    return status === "live" ? { status, key: policy as KeyPolicy, expiry } : { status, expiry };
  }
}

/** Whether two held entries say the same. */
function same(a: HeldKey | undefined, b: HeldKey): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
