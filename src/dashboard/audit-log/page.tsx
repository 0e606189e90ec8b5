/**
 * Settings > Audit log: the account's audit-log entries, newest first, a
 * page at a time (links with the log's cursor: no script needed). Each entry
 * says when (UTC), who (an operator through the admin API, a user by email,
 * or the gateway itself and why), what in words, to which account, login or
 * key (by name when it still exists), and from which address.
 */
import type { AuditEntryView } from "../../audit/list";
import { routes } from "../routes";
import { Time } from "../ui/format";
import { type PageContext, PageHeader } from "../ui/layout";
import { SettingsShell } from "../ui/settings";
import { RecordTable } from "../ui/table";
import { ACTION_WORDS, Actor, type AuditNames, Details, Target } from "./entry";

export interface AuditLogPageProps {
  page: PageContext;
  entries: AuditEntryView[];
  names: AuditNames;
  /** The cursor of this page (absent on the first), and of the next, older one (null on the last). */
  cursor?: string;
  nextCursor: string | null;
}

function Pages(props: Pick<AuditLogPageProps, "cursor" | "nextCursor">) {
  if (!props.cursor && !props.nextCursor) return null;
  return (
    <nav class="pager" aria-label="Audit log pages">
      {props.cursor && (
        <a class="btn btn-secondary btn-small" href={routes.auditLog.href()}>
          Newest entries
        </a>
      )}
      {props.nextCursor && (
        <a class="btn btn-secondary btn-small" href={routes.auditLog.href({ cursor: props.nextCursor })}>
          Older entries
        </a>
      )}
    </nav>
  );
}

/** Entries a reader should notice: a leak report, a failed login. */
const FLAGGED = new Set(["key.leaked", "user.login_failed"]);

/** An entry as a row: when, who, what (with its details), to what, and from where. */
function EntryRow(props: { entry: AuditEntryView; names: AuditNames }) {
  const { entry, names } = props;
  return (
    <tr class={FLAGGED.has(entry.action) ? "flagged" : undefined}>
      <td class="date">
        <Time date={new Date(entry.at)} />
      </td>
      <td>
        <Actor actor={entry.actor} />
      </td>
      <td>
        {ACTION_WORDS[entry.action] ?? entry.action}
        <Details entry={entry} names={names} />
      </td>
      <td>
        <Target target={entry.target} names={names} />
      </td>
      <td class="date">{entry.ip ? <code>{entry.ip}</code> : <span class="muted">None</span>}</td>
    </tr>
  );
}

/** Settings > Audit log. */
export function AuditLogPage(props: AuditLogPageProps) {
  return (
    <SettingsShell page={props.page} title="Audit log" current="audit-log">
      <PageHeader heading="Audit log">
        Every change to this account and its keys, and every login, newest first. Times are in UTC.
      </PageHeader>
      <div class="card">
        <RecordTable
          caption={`Audit log of ${props.names.accountName}, ${props.cursor ? "older" : "newest"} entries`}
          columns={["Time", "Actor", "Action", "Target", "IP address"]}
          rows={props.entries.map((entry) => <EntryRow entry={entry} names={props.names} />)}
          empty={props.cursor ? "No older entries." : "Nothing has been recorded yet."}
        />
        <Pages cursor={props.cursor} nextCursor={props.nextCursor} />
      </div>
    </SettingsShell>
  );
}
