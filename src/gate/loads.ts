/**
 * Reading policies from D1 into the gate's PolicyBook: when one is missing,
 * when a request names a newer version than the one held, and when an admin
 * change forces a read. Concurrent reads of one policy share one query,
 * except a forced one, which always reads anew; a read that finishes after
 * a newer one started is discarded. What changed is stored at once.
 */
import type { Database } from "../db/client";
import { logGate } from "../log";
import type { PolicyBook } from "./policies";
import { loadAccount, loadKey } from "./policy";
import type { CheckRequest } from "./protocol";
import type { GateStore } from "./rows";

/** A failed read's handler: fine if a copy is held, else the error stands. */
const keepIf = (held: boolean) => (error: unknown) => {
  if (!held) throw error;
};

export class PolicyLoads {
  private readonly keyLoads = new Map<string, Promise<void>>();
  private readonly keySeq = new Map<string, number>();
  private accountLoad: Promise<void> | undefined;
  private accountSeq = 0;

  constructor(
    private readonly book: PolicyBook,
    private readonly store: GateStore,
    private readonly db: () => Database,
  ) {}

  /**
   * Reads what a check needs and does not hold. When D1 fails, a policy held
   * already (only a newer version was named) still decides; a sibling's
   * policy that cannot be read only costs it its lease.
   */
  async ensure(request: CheckRequest): Promise<void> {
    const { keyId, accountId } = request;
    if (this.book.keyIsStale(keyId, request.keyVersion)) {
      const held = this.book.key(keyId)?.policy != null;
      await this.key(keyId).catch(keepIf(held));
    }
    if (this.book.accountIsStale(accountId, request.accountVersion)) {
      const held = this.book.account?.id === accountId;
      await this.account(accountId).catch(keepIf(held));
    }
    const siblings = (request.leases ?? []).filter((want) => this.book.keyIsStale(want.keyId));
    await Promise.all(siblings.map((want) => this.key(want.keyId).catch(() => undefined)));
  }

  /** Reads a key's policy (and its account's, from the same query). */
  key(keyId: string, force = false): Promise<void> {
    const pending = this.keyLoads.get(keyId);
    if (pending && !force) return pending;
    const seq = (this.keySeq.get(keyId) ?? 0) + 1;
    this.keySeq.set(keyId, seq);
    const accountSeq = this.accountSeq;
    const load = (async () => {
      const found = await loadKey(this.db(), keyId);
      logGate({ event: "load", accountId: found?.account.id, d1Queries: 1 });
      if (seq === this.keySeq.get(keyId)) {
        const changed = this.book.setKey(keyId, found?.key ?? null, force);
        if (changed) this.store.writeKey(keyId, changed);
      }
      // The join brought the account's policy too; kept unless a newer read of it started.
      if (found && accountSeq === this.accountSeq && this.book.setAccount(found.account)) {
        this.store.writeAccount(found.account);
      }
    })();
    this.keyLoads.set(keyId, load);
    return load.finally(() => {
      if (this.keyLoads.get(keyId) === load) this.keyLoads.delete(keyId);
    });
  }

  /** Reads the account's policy. */
  account(accountId: string, force = false): Promise<void> {
    if (this.accountLoad && !force) return this.accountLoad;
    const seq = ++this.accountSeq;
    const load = (async () => {
      const policy = await loadAccount(this.db(), accountId);
      logGate({ event: "load", accountId, d1Queries: 1 });
      if (seq === this.accountSeq && this.book.setAccount(policy)) this.store.writeAccount(policy);
    })();
    this.accountLoad = load;
    return load.finally(() => {
      if (this.accountLoad === load) this.accountLoad = undefined;
    });
  }
}
