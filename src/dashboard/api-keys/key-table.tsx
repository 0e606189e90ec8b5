/**
 * The table of keys on Settings > API Keys: per key its name, prefix and
 * marks (Test, restricted, leaked, expired, expiring soon, rolled) with Rename
 * (an inline form in a <details>: no script needed) and Restrictions (a link
 * to its page), permissions, the rate limit that applies and whose it is,
 * creation, expiry, and last use (with a hint when unused for 90 days), then
 * Roll and Delete (each leading to its own page).
 * A key its leak report revoked is marked "Leaked — revoked" and offers
 * only Delete.
 * Column headers sort the list by name, creation or last use.
 */
import type { Config } from "../../config";
import type { Account, ApiKey } from "../../db/schema";
import { MAX_NAME_LENGTH } from "../../keys/rules";
import { routes } from "../routes";
import { CsrfField } from "../ui/fields";
import { formatDate, formatRate, formatTime, Time } from "../ui/format";
import {
  EXPIRING_SOON_DAYS,
  keyRateLimit,
  type ListQuery,
  listHref,
  marksOf,
  naturalDir,
  type SortField,
  STALE_DAYS,
} from "./list";
import { describeScopes } from "./permissions";
import { describeRestrictions } from "./restrictions";

export interface KeyTableProps {
  keys: ApiKey[];
  account: Account;
  config: Config;
  query: ListQuery;
  csrfToken: string;
}

const RATE_SOURCES = { key: "its own", account: "account default", gateway: "gateway default" };

/** A header that sorts the list by its column (a link: it works without JavaScript). */
function SortHeader(props: { label: string; field: SortField; query: ListQuery }) {
  const active = props.query.sort === props.field;
  // A second click on the sorted column flips it; another column starts in its natural order.
  const dir = active ? (props.query.dir === "asc" ? "desc" : "asc") : naturalDir(props.field);
  const sort = active ? (props.query.dir === "asc" ? "ascending" : "descending") : undefined;
  return (
    <th scope="col" aria-sort={sort}>
      <a href={listHref({ ...props.query, sort: props.field, dir })}>
        {props.label}
        {active && <span aria-hidden="true">{props.query.dir === "asc" ? " ↑" : " ↓"}</span>}
      </a>
    </th>
  );
}

function Marks(props: { apiKey: ApiKey }) {
  const key = props.apiKey;
  const marks = marksOf(key);
  if (marks.revoked) {
    return (
      <span
        class="badge badge-danger"
        title={`Reported as leaked ${formatDate(key.leakedAt)} and revoked then: it no longer works. Delete it to remove it from this list.`}
      >
        Leaked — revoked
      </span>
    );
  }
  const restricted = describeRestrictions(key);
  return (
    <>
      {marks.test && (
        <span
          class="badge badge-test"
          title="A test key: its requests go to the sandbox and never count against the quota"
        >
          Test
        </span>
      )}
      {restricted && <span class="badge badge-info">{restricted}</span>}
      {marks.leaked && (
        <span class="badge badge-danger" title={`Reported as leaked ${formatDate(key.leakedAt)}: roll or delete it`}>
          Leaked
        </span>
      )}
      {marks.expired && <span class="badge badge-muted">Expired</span>}
      {marks.expiringSoon && !marks.rolled && (
        <span class="badge badge-warn" title={`Expires within ${EXPIRING_SOON_DAYS} days`}>
          Expires soon
        </span>
      )}
      {marks.rolled && !marks.expired && (
        <span class="badge badge-info">Rolled: old key, works until {formatDate(key.expiresAt)}</span>
      )}
    </>
  );
}

/** The inline rename form: a <details>, so it opens with no script, under the key's name. */
function Rename(props: { apiKey: ApiKey; csrfToken: string }) {
  const key = props.apiKey;
  return (
    <details class="rename">
      <summary class="link-button" aria-label={`Rename ${key.name} (${key.prefix})`}>
        Rename
      </summary>
      <form method="post" action={routes.renameKey.href({ keyId: key.id })} class="inline-form">
        <CsrfField token={props.csrfToken} />
        <label for={`rename-${key.id}`}>New name</label>
        <input id={`rename-${key.id}`} name="name" type="text" required maxlength={MAX_NAME_LENGTH} value={key.name} />
        <button type="submit" class="btn btn-primary btn-small">
          Save
        </button>
      </form>
    </details>
  );
}

function Actions(props: { apiKey: ApiKey }) {
  const key = props.apiKey;
  const label = `${key.name} (${key.prefix})`;
  return (
    <div class="row-actions">
      {!key.rotatedAt && !key.revokedAt && (
        <a class="btn btn-small" href={routes.rollKey.href({ keyId: key.id })} aria-label={`Roll ${label}`}>
          Roll
        </a>
      )}
      <form method="get" action={routes.deleteKey.href({ keyId: key.id })}>
        <button type="submit" class="btn btn-ghost-danger btn-small" aria-label={`Delete ${label}`}>
          Delete
        </button>
      </form>
    </div>
  );
}

function KeyRow(props: KeyTableProps & { apiKey: ApiKey }) {
  const key = props.apiKey;
  const rate = keyRateLimit(key, props.account, props.config);
  const marks = marksOf(key);
  return (
    <tr class={marks.leaked ? "leaked" : undefined}>
      <td class="name">
        <span class="key-name">{key.name}</span>
        <div class="marks">
          <code class="prefix">{key.prefix}</code>
          <Marks apiKey={key} />
        </div>
        {!marks.revoked && (
          <div class="key-links">
            <Rename apiKey={key} csrfToken={props.csrfToken} />
            <a
              class="link-button"
              href={routes.keyRestrictions.href({ keyId: key.id })}
              aria-label={`Restrictions of ${key.name} (${key.prefix})`}
            >
              Restrictions
            </a>
          </div>
        )}
      </td>
      <td>{describeScopes(key.scopes)}</td>
      <td class="date">
        {formatRate(rate)}
        <div class="muted small">{RATE_SOURCES[rate.source]}</div>
      </td>
      <td class="date">
        <Time date={key.createdAt} dayOnly />
      </td>
      <td class="date">
        <Time date={key.expiresAt} dayOnly empty="Never" />
      </td>
      <td class="date">
        <Time date={key.lastUsedAt} dayOnly />
        {key.lastUsedAt && <div class="muted small">{formatTime(key.lastUsedAt)}</div>}
        {marks.stale && (
          <div class="hint-stale">
            {key.lastUsedAt ? `Not used in ${STALE_DAYS} days` : "Never used"}: consider deleting it
          </div>
        )}
      </td>
      <td class="end">
        <Actions apiKey={key} />
      </td>
    </tr>
  );
}

/** The keys as a table (the caller shows the empty states). */
export function KeyTable(props: KeyTableProps) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">API keys of {props.account.name}</caption>
        <thead>
          <tr>
            <SortHeader label="Name and prefix" field="name" query={props.query} />
            <th scope="col">Permissions</th>
            <th scope="col">Rate limit</th>
            <SortHeader label="Created" field="created" query={props.query} />
            <th scope="col">Expires</th>
            <SortHeader label="Last used" field="last_used" query={props.query} />
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.keys.map((key) => (
            <KeyRow {...props} apiKey={key} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
