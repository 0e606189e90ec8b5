/**
 * Settings > API Keys: the account's limits, then its live keys (key-table)
 * with a search, a filter and an order that the server applies (a GET form:
 * no script needed), the "Create New Key" button, and notices after a
 * delete or a rename, and when the account holds its maximum of keys. Never
 * shows a key's secret: that is shown once, right after it is made.
 */
import { routes } from "../routes";
import { countOf } from "../ui/format";
import { type PageContext, PageHeader } from "../ui/layout";
import { SettingsShell } from "../ui/settings";
import { AccountLimits, type AccountLimitsProps } from "./account-limits";
import { KeyTable, type KeyTableProps } from "./key-table";
import type { ListQuery, SORTS, STATUSES } from "./list";

export interface ApiKeysPageProps {
  page: PageContext;
  table: Omit<KeyTableProps, "csrfToken">;
  limits: AccountLimitsProps;
  /** How many keys the account lists before the search and filter. */
  total: number;
  /** What was just done, for the notice: a key deleted, renamed or given new restrictions (its prefix). */
  done?: { deleted?: string; renamed?: string; restricted?: string };
  /** Shown when the account holds its maximum of keys (the message Create New Key would get). */
  capNotice?: string;
}

const STATUS_LABELS: Record<(typeof STATUSES)[number], string> = {
  all: "All keys",
  expiring: "Expiring within 7 days",
  unused: "Not used in 90 days",
  rolled: "Rolled (old keys)",
  leaked: "Reported as leaked",
  test: "Test keys",
  restricted: "Restricted keys",
};
const SORT_LABELS: Record<(typeof SORTS)[number], string> = {
  created: "Created",
  name: "Name",
  last_used: "Last used",
};

function Select(props: { id: string; label: string; value: string; options: Record<string, string> }) {
  return (
    <div class="filter">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} name={props.id}>
        {Object.entries(props.options).map(([value, label]) => (
          <option value={value} selected={value === props.value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Search, filter and order: a GET form the server answers with the list narrowed and sorted. */
function ListControls(props: { query: ListQuery }) {
  const { query } = props;
  return (
    <form class="list-controls" method="get" action={routes.apiKeys.href()} aria-label="Search and sort keys">
      <div class="filter grow">
        <label for="q">Search</label>
        <input id="q" name="q" type="search" value={query.q} placeholder="Name or prefix" />
      </div>
      <Select id="status" label="Show" value={query.status} options={STATUS_LABELS} />
      <Select id="sort" label="Sort by" value={query.sort} options={SORT_LABELS} />
      <Select id="dir" label="Order" value={query.dir} options={{ asc: "Ascending", desc: "Descending" }} />
      <button type="submit" class="btn btn-secondary">
        Apply
      </button>
    </form>
  );
}

function Notices(props: Pick<ApiKeysPageProps, "done" | "capNotice">) {
  return (
    <>
      {props.done?.deleted && (
        <div class="alert alert-success" role="status">
          The key <code>{props.done.deleted}</code> was deleted. It no longer works.
        </div>
      )}
      {props.done?.renamed && (
        <div class="alert alert-success" role="status">
          The key <code>{props.done.renamed}</code> was renamed.
        </div>
      )}
      {props.done?.restricted && (
        <div class="alert alert-success" role="status">
          The restrictions of the key <code>{props.done.restricted}</code> were saved. They apply from its next request.
        </div>
      )}
      {props.capNotice && (
        <div class="alert alert-warning" role="status">
          {props.capNotice}
        </div>
      )}
    </>
  );
}

/** "Create New Key": a GET form, so it is a button that works without a script. */
function CreateButton() {
  return (
    <form method="get" action={routes.newKey.href()}>
      <button type="submit" class="btn btn-primary">
        Create New Key
      </button>
    </form>
  );
}

/** The list of the account's keys. */
export function ApiKeysPage(props: ApiKeysPageProps) {
  const { table } = props;
  const filtered = table.keys.length !== props.total;
  return (
    <SettingsShell page={props.page} title="API Keys" current="api-keys">
      <PageHeader heading="API Keys" action={<CreateButton />}>
        Keys authenticate your requests to the MoMail API. Send one in the X-API-Key header.
      </PageHeader>
      <Notices done={props.done} capNotice={props.capNotice} />
      <AccountLimits {...props.limits} />
      <div class="card">
        {props.total === 0 ? (
          <div class="empty">
            <h2>No API keys yet</h2>
            <p>Create a key to start calling the MoMail API from your applications.</p>
          </div>
        ) : (
          <>
            <ListControls query={table.query} />
            <p class="list-count" role="status">
              {filtered
                ? `${table.keys.length} of ${countOf(props.total, "key")} match.`
                : `${countOf(props.total, "key")}.`}
              {filtered && (
                <>
                  {" "}
                  <a href={routes.apiKeys.href()}>Show all keys</a>
                </>
              )}
            </p>
            {table.keys.length > 0 && <KeyTable {...table} csrfToken={props.page.session?.csrfToken ?? ""} />}
          </>
        )}
      </div>
    </SettingsShell>
  );
}
