/**
 * The account's limits above its key list: how many keys it holds of its
 * maximum, the default rate limit of a key without its own, the shared
 * limit all keys draw on together, and the quota with this period's use.
 */
import type { Config } from "../../config";
import { rateLimitOf } from "../../db/limits";
import type { Account } from "../../db/schema";
import { formatRate } from "../ui/format";
import { type QuotaUsage, QuotaUse } from "../ui/quota-use";

export interface AccountLimitsProps {
  account: Account;
  config: Config;
  /** This period's quota use; undefined when the account's gate could not tell just now. */
  usage: QuotaUsage;
  liveKeys: number;
  maxKeys: number;
}

/** The account's keys, limits and quota, as a list of terms. */
export function AccountLimits(props: AccountLimitsProps) {
  const own = rateLimitOf(props.account.rateLimitLimit, props.account.rateLimitWindowSeconds);
  const shared = rateLimitOf(props.account.sharedRateLimitLimit, props.account.sharedRateLimitWindowSeconds);
  return (
    <section class="card limits" aria-labelledby="limits-title">
      <div class="card-body">
        <h2 id="limits-title">{props.account.name}: limits</h2>
        <dl class="details">
          <dt>Keys</dt>
          <dd>
            {props.liveKeys} of {props.maxKeys}
          </dd>
          <dt>Rate limit per key</dt>
          <dd>
            {formatRate(own ?? props.config.DEFAULT_RATE_LIMIT)}
            <span class="muted">
              {own ? " (the account's default)" : " (the gateway's default)"}, unless a key has its own
            </span>
          </dd>
          <dt>Shared rate limit</dt>
          <dd>{shared ? `${formatRate(shared)} for all keys together` : "None"}</dd>
          <dt>Quota</dt>
          <dd>
            <QuotaUse account={props.account} usage={props.usage} />
          </dd>
        </dl>
      </div>
    </section>
  );
}
