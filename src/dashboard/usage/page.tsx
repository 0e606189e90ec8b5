/**
 * Settings > Usage: the account's requests per UTC day over the last 30 days
 * as a chart stacked by outcome (usage-chart.tsx), for all keys or the key
 * chosen in a GET form (no script needed); the chart's numbers as a table;
 * each key's totals over the period; this period's quota use; and the rows
 * as a CSV download.
 */
import { quotaOf } from "../../db/limits";
import type { Account } from "../../db/schema";
import { routes } from "../routes";
import { formatDay } from "../ui/format";
import { type PageContext, PageHeader } from "../ui/layout";
import { type QuotaUsage, QuotaUse } from "../ui/quota-use";
import { SettingsShell } from "../ui/settings";
import { RecordTable } from "../ui/table";
import { COUNT_COLUMNS, CountRow, type DayCounts, UsageChart, UsageDaysTable } from "./chart";
import type { OutcomeCounts, UsagePeriod } from "./report";

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
  quota: { account: Account; usage: QuotaUsage };
}

const keyLabel = (key: UsageKey) => `${key.name} (${key.prefix})${key.deleted ? ", deleted" : ""}`;
/** The query that charts `key` alone (none: all keys). */
const keyQuery = (key?: UsageKey) => ({ key: key?.id });

/** The key selector: a GET form, so the server draws the chart for the key chosen. */
function KeyPicker(props: { keys: UsageKey[]; selected?: UsageKey }) {
  return (
    <form class="list-controls" method="get" action={routes.usage.href()} aria-label="Choose the key to chart">
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
      <a class="btn btn-secondary" href={routes.usageCsv.href(keyQuery(props.selected))} download>
        Download CSV
      </a>
    </form>
  );
}

function KeyName(props: { usageKey: UsageKey }) {
  const key = props.usageKey;
  return (
    <>
      <a href={routes.usage.href(keyQuery(key))} aria-label={`Chart the requests of ${keyLabel(key)}`}>
        {key.name}
      </a>{" "}
      <code class="prefix">{key.prefix}</code>
      {key.deleted && <span class="badge badge-muted">Deleted</span>}
    </>
  );
}

/** Each key's totals over the period, and the account's (or, without keys, a line that says so). */
function KeyTotals(props: Pick<UsagePageProps, "keys" | "all">) {
  return (
    <RecordTable
      class="numbers"
      caption="Requests per key, last 30 days"
      columns={["Key", ...COUNT_COLUMNS]}
      rows={props.keys.map((key) => <CountRow head={<KeyName usageKey={key} />} headClass="name" counts={key} />)}
      empty="No keys, and no requests in the last 30 days."
      foot={<CountRow head="All keys" counts={props.all} />}
    />
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
      <PageHeader heading="Usage">
        Requests to the MoMail API per day (UTC), for the last 30 days: {first} to {last}. Counts are exact as of this
        page.
      </PageHeader>
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
        <KeyTotals keys={props.keys} all={props.all} />
      </section>
    </SettingsShell>
  );
}
