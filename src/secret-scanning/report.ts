/**
 * Handling a report of leaked tokens (GitHub's secret scanning, or an
 * operator's `POST /admin/leaked-keys`): each token is labelled
 * `true_positive` if the gateway issued it (a stored key, live, expired or
 * revoked, whose secret matches) and `false_positive` otherwise, and every
 * true positive is handled by operations/leaks.ts (marked, audited,
 * announced, and revoked unless LEAKED_KEY_ACTION is `notify`).
 *
 * A report finds a key by its prefix and secret whatever prefix secrets are
 * configured now: a key issued under a KEY_PREFIX_SECRET since retired, or
 * removed altogether, is still the gateway's key, and a leak of it must be
 * revoked, not labelled a false positive (the data plane's forged-key check,
 * keys/issue.ts, answers a different question: may this key cost a lookup).
 * So the format and checksum sort junk out with no storage at all, and for a
 * well-formed token the stored record decides: the secret's HMAC under the
 * key's pepper, compared in constant time.
 *
 * Built for large reports (GitHub sends up to 1,000 tokens at a time, and
 * wants an answer within 30 s): well-formed tokens are looked up 100
 * prefixes per statement, all statements in one D1 batch; and the leaks are
 * handled a few at a time, concurrently. Only GitHub (signed) and operators
 * (the admin token) can send a report, so a lookup per well-formed token is
 * no lever for anyone else.
 */
import { eq, inArray } from "drizzle-orm";
import type { AuditContext } from "../audit/entries";
import type { Config } from "../config";
import { getDb } from "../db/client";
import { type ApiKey, accounts, apiKeys } from "../db/schema";
import { parseKey } from "../keys/format";
import { verifySecret } from "../keys/lookup";
import type { KeyRecord } from "../keys/records";
import type { AccountRef } from "../operations/keys";
import { type LeakSighting, reportLeakedKey } from "../operations/leaks";

export type Label = "true_positive" | "false_positive";

export interface ReportedToken extends Partial<LeakSighting> {
  token: string;
}

export interface TokenVerdict {
  token: string;
  /** The key's public prefix when the token is key-shaped, else null. */
  prefix: string | null;
  label: Label;
  /** Whether the key is revoked once the report is handled (false for a false positive). */
  revoked: boolean;
}

/** D1 binds at most 100 parameters per statement. */
const PREFIXES_PER_STATEMENT = 100;
/** Leaks handled at once: each tells its account's gate and writes one D1 batch. */
const CONCURRENT_LEAKS = 8;

type Found = Map<string, { key: ApiKey; account: AccountRef }>;

/**
 * The stored keys (with their account's webhook) of these prefixes, in one
 * batch of statements. Only columns of distinct names are selected: a D1
 * batch returns rows as objects, where two tables' `id`s would collide.
 */
async function findByPrefixes(env: Env, prefixes: string[]): Promise<Found> {
  const found: Found = new Map();
  if (prefixes.length === 0) return found;
  const db = getDb(env.DB);
  const statements = [];
  for (let i = 0; i < prefixes.length; i += PREFIXES_PER_STATEMENT) {
    const chunk = prefixes.slice(i, i + PREFIXES_PER_STATEMENT);
    statements.push(
      db
        .select({ key: apiKeys, webhookUrl: accounts.webhookUrl })
        .from(apiKeys)
        .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
        .where(inArray(apiKeys.prefix, chunk)),
    );
  }
  const [first, ...rest] = statements;
  const results = first ? await db.batch([first, ...rest]) : [];
  for (const rows of results) {
    for (const { key, webhookUrl } of rows) found.set(key.prefix, { key, account: { id: key.accountId, webhookUrl } });
  }
  return found;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Labels every reported token, and handles each leaked key once (the first report of it wins). */
export async function handleReport(
  env: Env,
  config: Config,
  reported: ReportedToken[],
  by: AuditContext,
): Promise<TokenVerdict[]> {
  // Junk (malformed, bad checksum) is sorted out here, with no storage operation.
  const parsed = reported.map((report) => parseKey(report.token));
  const found = await findByPrefixes(env, [...new Set(parsed.flatMap((key) => (key ? [key.prefix] : [])))]);

  const verdicts: TokenVerdict[] = await Promise.all(
    reported.map(async (report, i) => {
      const key = parsed[i];
      const row = key ? found.get(key.prefix) : undefined;
      // The stored hash decides, as on the data plane: a stored prefix with another secret is not this key.
      const matches =
        key && row ? await verifySecret(config, { record: row.key as unknown as KeyRecord }, key.secret) : false;
      return {
        token: report.token,
        prefix: key?.prefix ?? null,
        label: matches ? "true_positive" : "false_positive",
        revoked: matches && row ? row.key.revokedAt !== null : false,
      } satisfies TokenVerdict;
    }),
  );

  const leaks = new Map<string, ReportedToken>();
  verdicts.forEach((verdict, i) => {
    const prefix = verdict.prefix as string;
    if (verdict.label === "true_positive" && !leaks.has(prefix)) leaks.set(prefix, reported[i] as ReportedToken);
  });
  const revoked = new Map<string, boolean>();
  await eachLimited([...leaks], CONCURRENT_LEAKS, async ([prefix, report]) => {
    const { key, account } = found.get(prefix) as { key: ApiKey; account: AccountRef };
    const sighting = { url: report.url ?? null, source: report.source ?? null };
    revoked.set(prefix, (await reportLeakedKey(env, { config, account, key, sighting, by })).revoked);
  });
  return verdicts.map((verdict) =>
    verdict.label === "true_positive"
      ? { ...verdict, revoked: revoked.get(verdict.prefix as string) ?? verdict.revoked }
      : verdict,
  );
}
