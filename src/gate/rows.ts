/**
 * The account gate's storage, in one place: which rows its Durable Object
 * keeps (synchronous KV API of a SQLite-backed object) and what each holds.
 *
 *   policy:account      the account's policy (AccountPolicy, or null: no such account)
 *   policy:key:{keyId}  a key's held policy (HeldKey: D1's copy, a sticky revocation,
 *                       a rotation's cap and shared budget); written when it changes
 *   counts              the ledger's counts (LedgerSnapshot): windows of up to
 *                       WINDOWS_PER_ROW budgets, the shared window, the quota, the
 *                       usage book, last uses, the lease horizon
 *   counts:{n}          the windows of a further WINDOWS_PER_ROW budgets each
 *   idempotency:{key}   an Idempotency-Key's entry (idempotency/rules.ts): its in-flight
 *                       mark, then its kept answer (or that it was not kept) until it
 *                       expires; removed by the alarm's sweep (idempotency/book.ts)
 *
 * An account with up to 200 busy keys writes one row per persist. Rows of
 * the layout before this one ("account", "key:{id}", "state", "keys:{n}")
 * are read once, when a gate first starts on this code, and then removed.
 */
import type { Entry } from "../idempotency/rules";
import type { LedgerSnapshot, PersistedWindow } from "./ledger";
import type { HeldKey } from "./policies";
import type { AccountPolicy, KeyPolicy } from "./policy";

const ACCOUNT = "policy:account";
const keyRow = (keyId: string) => `policy:key:${keyId}`;
const COUNTS = "counts";
const countsRow = (index: number) => `counts:${index}`;
const IDEMPOTENCY = "idempotency:";
const idempotencyRow = (key: string) => `${IDEMPOTENCY}${key}`;
/** Budgets (keys with counts) per counts row. */
export const WINDOWS_PER_ROW = 200;

type Counts = LedgerSnapshot & { rows: number };

export class GateStore {
  constructor(private readonly kv: SyncKvStorage) {}

  readAccount(): AccountPolicy | null | undefined {
    return this.kv.get<AccountPolicy | null>(ACCOUNT) ?? legacyAccount(this.kv);
  }

  /** Policy rows written since the last `takePolicyWrites()` (counts rows are returned by writeCounts). */
  private policyWrites = 0;

  writeAccount(policy: AccountPolicy | null): void {
    this.policyWrites++;
    this.kv.put(ACCOUNT, policy);
  }

  readKey(keyId: string): HeldKey | undefined {
    return this.kv.get<HeldKey>(keyRow(keyId)) ?? legacyKey(this.kv, keyId);
  }

  writeKey(keyId: string, held: HeldKey): void {
    this.policyWrites++;
    this.kv.put(keyRow(keyId), held);
  }

  /** The policy rows written since the last call. */
  takePolicyWrites(): number {
    const written = this.policyWrites;
    this.policyWrites = 0;
    return written;
  }

  readCounts(): LedgerSnapshot | undefined {
    const counts = this.kv.get<Counts>(COUNTS);
    if (!counts) return legacyCounts(this.kv);
    const windows = { ...counts.windows };
    for (let row = 1; row < counts.rows; row++) Object.assign(windows, this.kv.get(countsRow(row)));
    return { ...counts, windows };
  }

  /** Writes the counts; returns the storage rows written (or deleted). */
  writeCounts(snapshot: LedgerSnapshot): number {
    const budgets = Object.entries(snapshot.windows);
    const rows = Math.max(1, Math.ceil(budgets.length / WINDOWS_PER_ROW));
    const previous = this.kv.get<Counts>(COUNTS)?.rows ?? 1;
    const slice = (row: number) =>
      Object.fromEntries(budgets.slice(row * WINDOWS_PER_ROW, (row + 1) * WINDOWS_PER_ROW));
    this.kv.put(COUNTS, { ...snapshot, windows: slice(0), rows } satisfies Counts);
    for (let row = 1; row < rows; row++) this.kv.put(countsRow(row), slice(row));
    for (let row = rows; row < previous; row++) this.kv.delete(countsRow(row));
    return Math.max(rows, previous) + dropLegacy(this.kv);
  }

  readIdempotency(key: string): Entry | undefined {
    return this.kv.get<Entry>(idempotencyRow(key));
  }

  writeIdempotency(key: string, entry: Entry): void {
    this.kv.put(idempotencyRow(key), entry);
  }

  deleteIdempotency(key: string): void {
    this.kv.delete(idempotencyRow(key));
  }

  /**
   * Up to `limit` Idempotency-Keys with their entries, in key order, after
   * `after` (from the first without); one at a time, so a sweep never holds
   * many answers in memory.
   */
  *listIdempotency(after: string | undefined, limit: number): Generator<[string, Entry]> {
    const startAfter = after === undefined ? undefined : idempotencyRow(after);
    for (const [row, entry] of this.kv.list<Entry>({ prefix: IDEMPOTENCY, startAfter, limit })) {
      yield [row.slice(IDEMPOTENCY.length), entry];
    }
  }
}

/** The layout before policies had versions: a row's policy is taken as version 0 (any newer read replaces it). */
interface LegacyStored<P> {
  policy: Omit<P, "version"> | null;
  revoked?: boolean;
  expiresCap?: number;
}

interface LegacyState {
  shared?: PersistedWindow;
  quota?: LedgerSnapshot["quota"];
  usage: LedgerSnapshot["usage"];
  keys: Record<string, { window?: PersistedWindow; lastUsedAt: number }>;
  keyRows: number;
  persistedAt: number;
  horizon: number;
}

function legacyAccount(kv: SyncKvStorage): AccountPolicy | null | undefined {
  const stored = kv.get<LegacyStored<AccountPolicy>>("account");
  if (!stored) return undefined;
  return stored.policy && { ...stored.policy, version: 0 };
}

function legacyKey(kv: SyncKvStorage, keyId: string): HeldKey | undefined {
  const stored = kv.get<LegacyStored<KeyPolicy>>(`key:${keyId}`);
  if (!stored) return undefined;
  return {
    policy: stored.policy && { ...stored.policy, version: 0 },
    revoked: stored.revoked ?? false,
    ...(stored.expiresCap !== undefined && { expiresCap: stored.expiresCap }),
  };
}

function legacyCounts(kv: SyncKvStorage): LedgerSnapshot | undefined {
  const state = kv.get<LegacyState>("state");
  if (!state) return undefined;
  const keys = { ...state.keys };
  for (let row = 1; row < state.keyRows; row++) Object.assign(keys, kv.get(`keys:${row}`));
  const windows: Record<string, PersistedWindow> = {};
  const lastUsed: Record<string, number> = {};
  for (const [keyId, counts] of Object.entries(keys)) {
    if (counts.window) windows[keyId] = counts.window;
    if (counts.lastUsedAt > 0) lastUsed[keyId] = counts.lastUsedAt;
  }
  const { shared, quota, usage, horizon, persistedAt } = state;
  return { windows, shared, quota, usage, lastUsed, horizon, persistedAt };
}

/** Removes the rows of the earlier layout (the new rows hold everything they did); returns how many. */
function dropLegacy(kv: SyncKvStorage): number {
  const state = kv.get<LegacyState>("state");
  if (!state) return 0;
  let dropped = 0;
  for (let row = 1; row < state.keyRows; row++) dropped += Number(kv.delete(`keys:${row}`));
  dropped += Number(kv.delete("state"));
  // Legacy policy rows stay readable until each key's policy is written in the new layout; they are small.
  return dropped;
}
