/**
 * Policies for the account gate's unit tests (test/gate/ledger.unit.test.ts,
 * test/idempotency/book.unit.test.ts): account `acct_a` and its keys, with
 * nothing set but what a test overrides.
 */
import type { AccountPolicy, KeyPolicy } from "../../../src/gate/policy";

export const accountPolicy = (over: Partial<AccountPolicy> = {}): AccountPolicy => ({
  id: "acct_a",
  disabled: false,
  keyDefault: null,
  shared: null,
  quota: null,
  version: 1,
  ...over,
});

export const keyPolicy = (id: string, over: Partial<KeyPolicy> = {}): KeyPolicy => ({
  id,
  accountId: "acct_a",
  scopes: ["*"],
  expiresAt: null,
  revoked: false,
  rateLimit: null,
  version: 1,
  ...over,
});
