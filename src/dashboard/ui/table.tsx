/**
 * A table of records, as the dashboard lists audit entries, webhook
 * deliveries and usage: a caption for screen readers, a header cell per
 * column (numbers right-aligned), the rows and an optional footer; or, when
 * there are no rows and the caller says what to write then, that line
 * instead of an empty table.
 */
import type { Child } from "hono/jsx";

/** A column: its header, and whether it holds numbers. */
export type Column = string | { label: string; num: true };

export interface RecordTableProps {
  caption: string;
  columns: readonly Column[];
  rows: Child[];
  /** What to say when there are no rows (without it, the table shows with none). */
  empty?: string;
  class?: string;
  foot?: Child;
}

/** The records as a table, or the empty state. */
export function RecordTable(props: RecordTableProps) {
  if (props.rows.length === 0 && props.empty) {
    return (
      <div class="empty">
        <p>{props.empty}</p>
      </div>
    );
  }
  return (
    <div class="table-wrap">
      <table class={props.class}>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column) =>
              typeof column === "string" ? (
                <th scope="col">{column}</th>
              ) : (
                <th scope="col" class="num">
                  {column.label}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{props.rows}</tbody>
        {props.foot && <tfoot>{props.foot}</tfoot>}
      </table>
    </div>
  );
}
