/**
 * Settings > Usage: the account's requests per UTC day over the last 30 days
 * as a chart stacked by outcome (usage-chart.tsx), for all keys or the key
 * chosen in a GET form (no script needed); the chart's numbers as a table;
 * each key's totals over the period; this period's quota use; and the rows
 * as a CSV download.
 */
import { quotaOf } from "../../db/limits";
import type { Account } from "../../db/schema";
import { type PageContext, SettingsShell } from "../layout";
import { OUTCOMES, type OutcomeCounts, type UsagePeriod } from "../usage-report";
import { QuotaUse } from "./account-limits";
import { formatDay } from "./format";
import { type DayCounts, OutcomeHeaders, UsageChart, UsageDaysTable } from "./usage-chart";

export const USAGE_PATH = "/dashboard/settings/usage";
export const USAGE_CSV_PATH = "/dashboard/settings/usage.csv";

/** A key as the page names it. */
export interface UsageKey {
  id: string;
  name: string;
  prefix: string;
  deleted: boolean;
}

export interface UsagePageProps {
  page: PageContext;
  period: UsagePeriod;
  /** The chart's days: all keys', or the selected key's. */
  days: DayCounts[];
  /** Each key's totals over the period, busiest first (keys without requests too). */
  keys: Array<UsageKey & OutcomeCounts>;
  all: OutcomeCounts;
  /** The key the chart shows; undefined for all keys. */
  selected?: UsageKey;
  quota: { account: Account; usage: { used: number; resetAt: number } | null | undefined };
}

const count = (n: number) => n.toLocaleString("en");
const keyLabel = (key: UsageKey) => `${key.name} (${key.prefix})${key.deleted ? ", deleted" : ""}`;
const withKey = (path: string, key?: UsageKey) => (key ? `${path}?key=${encodeURIComponent(key.id)}` : path);

/** The key selector: a GET form, so the server draws the chart for the key chosen. */
function KeyPicker(props: { keys: UsageKey[]; selected?: UsageKey }) {
  return (
    <form class="list-controls" method="get" action={USAGE_PATH} aria-label="Choose the key to chart">
      <div class="filter grow">
        <label for="key">Show requests of</label>
        <select id="key" name="key">
          <option value="" selected={!props.selected}>
            All keys
          </option>
          {props.keys.map((key) => (
            <option value={key.id} selected={props.selected?.id === key.id}>
              {keyLabel(key)}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="btn btn-secondary">
        Show
      </button>
      <a class="btn btn-secondary" href={withKey(USAGE_CSV_PATH, props.selected)} download>
        Download CSV
      </a>
    </form>
  );
}

function KeyName(props: { usageKey: UsageKey }) {
  const key = props.usageKey;
  return (
    <>
      <a href={withKey(USAGE_PATH, key)} aria-label={`Chart the requests of ${keyLabel(key)}`}>
        {key.name}
      </a>{" "}
      <code class="prefix">{key.prefix}</code>
      {key.deleted && <span class="badge badge-muted">Deleted</span>}
    </>
  );
}

/** Each key's totals over the period, and the account's. */
function KeyTotals(props: Pick<UsagePageProps, "keys" | "all" | "period">) {
  return (
    <div class="table-wrap">
      <table class="numbers">
        <caption class="visually-hidden">Requests per key, last 30 days</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <OutcomeHeaders />
          </tr>
        </thead>
        <tbody>
          {props.keys.map((key) => (
            <tr>
              <th scope="row" class="name">
                <KeyName usageKey={key} />
              </th>
              {OUTCOMES.map((outcome) => (
                <td class="num">{count(key[outcome])}</td>
              ))}
              <td class="num">{count(key.total)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">All keys</th>
            {OUTCOMES.map((outcome) => (
              <td class="num">{count(props.all[outcome])}</td>
            ))}
            <td class="num">{count(props.all.total)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

/** Settings > Usage. */
export function UsagePage(props: UsagePageProps) {
  const first = formatDay(new Date(props.period.from));
  const last = formatDay(new Date(props.period.days.at(-1) ?? props.period.from));
  const whose = props.selected ? keyLabel(props.selected) : "all keys";
  const title = `Requests per UTC day, ${whose}, ${first} to ${last}`;
  return (
    <SettingsShell page={props.page} title="Usage" current="usage">
      <div class="page-header">
        <div>
          <h1>Usage</h1>
          <p>
            Requests to the MoMail API per day (UTC), for the last 30 days: {first} to {last}. Counts are exact as of
            this page.
          </p>
        </div>
      </div>
      <section class="card limits" aria-labelledby="quota-title">
        <div class="card-body">
          <h2 id="quota-title">Quota</h2>
          {quotaOf(props.quota.account.quotaLimit, props.quota.account.quotaPeriod) ? (
            <>
              <p class="quota-line">
                <QuotaUse account={props.quota.account} usage={props.quota.usage} />
              </p>
              <p class="hint">The quota counts units: a request costs the units its route costs (usually 1).</p>
            </>
          ) : (
            <p class="quota-line">This account has no quota.</p>
          )}
        </div>
      </section>
      <section class="card" aria-labelledby="chart-heading">
        <KeyPicker keys={props.keys} selected={props.selected} />
        <div class="card-body">
          <h2 id="chart-heading">Requests per day: {whose}</h2>
          <UsageChart id="usage-chart" title={title} days={props.days} />
          <details class="data-table">
            <summary class="link-button">Show the numbers as a table</summary>
            <UsageDaysTable caption={title} days={props.days} />
          </details>
        </div>
      </section>
      <section class="card" aria-labelledby="totals-heading">
        <div class="card-body">
          <h2 id="totals-heading">Requests per key</h2>
          <p class="hint">Totals over the last 30 days. Select a key to chart its requests alone.</p>
        </div>
        {props.keys.length === 0 ? (
          <div class="empty">
            <p>No keys, and no requests in the last 30 days.</p>
          </div>
        ) : (
          <KeyTotals keys={props.keys} all={props.all} period={props.period} />
        )}
      </section>
    </SettingsShell>
  );
}
