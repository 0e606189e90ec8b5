/**
 * The dashboard's stylesheet: plain CSS, inlined in every page's head (with
 * the page's CSP nonce), so the dashboard needs no static assets. A neutral,
 * system-font look with one accent colour, visible focus rings, and a
 * layout that holds from phone to desktop. A link in running text is
 * underlined, not told apart by its colour alone (WCAG 1.4.1, axe's
 * link-in-text-block); buttons, navigation, tiles and column headers are
 * links that their shape and place already mark.
 */
export const STYLES = `
:root {
  --bg: #f5f6f8; --surface: #fff; --border: #e4e7ec; --text: #101828; --muted: #5d6679;
  --accent: #4f46e5; --accent-hover: #4338ca; --accent-soft: #eef2ff;
  --danger: #c4320a; --danger-hover: #a12a08; --danger-soft: #fef3f2;
  --warn-soft: #fffaeb; --warn-border: #fec84b; --ok-soft: #ecfdf3; --ok: #067647;
  --radius: 10px; --shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 1px 3px rgba(16, 24, 40, .08);
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text); line-height: 1.5; font-size: 15px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
a { color: var(--accent); text-decoration: underline; text-underline-offset: .18em; }
a:hover { text-decoration: underline; }
.btn, .brand, .tile, .skip-link, .nav-primary a, .nav-side a, thead th a { text-decoration: none; }
:focus-visible { outline: 3px solid #a5b4fc; outline-offset: 2px; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .25rem; letter-spacing: -.01em; }
h2 { font-size: 1.05rem; margin: 0 0 .25rem; }
p { margin: 0 0 1rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.container { max-width: 1320px; margin: 0 auto; padding: 0 24px; }
.skip-link { position: absolute; left: 12px; top: -48px; z-index: 10; background: var(--surface); padding: 8px 14px; border-radius: 8px; box-shadow: var(--shadow); font-weight: 600; }
.skip-link:focus { top: 12px; }
main:focus { outline: none; }
.small { font-size: .8rem; }

.topbar { background: var(--surface); border-bottom: 1px solid var(--border); }
.topbar .container { display: flex; align-items: center; gap: 28px; height: 60px; }
.brand { display: inline-flex; align-items: center; gap: 10px; color: var(--text); font-weight: 700; font-size: 1.1rem; }
.brand:hover { text-decoration: none; }
.brand small { color: var(--muted); font-weight: 500; font-size: .85rem; }
.nav-primary { display: flex; gap: 4px; flex: 1; }
.nav-primary a, .nav-side a {
  color: var(--muted); font-weight: 500; padding: 6px 12px; border-radius: 8px; display: block;
}
.nav-primary a:hover, .nav-side a:hover { background: var(--bg); color: var(--text); text-decoration: none; }
.nav-primary a[aria-current], .nav-side a[aria-current] { background: var(--accent-soft); color: var(--accent); }
.account { display: flex; align-items: center; gap: 14px; font-size: .9rem; }
.account form { margin: 0; }

main.container { padding-top: 32px; padding-bottom: 64px; }
.settings { display: grid; grid-template-columns: 170px 1fr; gap: 28px; align-items: start; }
.settings > section { min-width: 0; }
.nav-side ul { list-style: none; margin: 0; padding: 0; }
.nav-side h2 { font-size: .78rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 6px 12px 8px; }
.page-header { display: flex; align-items: flex-start; justify-content: space-between; gap: 16px; margin-bottom: 20px; }
.page-header p { margin: 0; color: var(--muted); }

.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); }
.card-body { padding: 24px; }
.card + .card { margin-top: 20px; }
.tile { display: block; padding: 20px 24px; color: var(--text); }
.tile:hover { text-decoration: none; background: #fafbfc; }
.tile p { margin: 0; color: var(--muted); }
.tiles .tile + .tile { border-top: 1px solid var(--border); }

.btn {
  display: inline-flex; align-items: center; justify-content: center; gap: 6px; white-space: nowrap;
  font: inherit; font-weight: 600; font-size: .9rem; line-height: 1; padding: 10px 16px; border-radius: 8px;
  border: 1px solid transparent; cursor: pointer;
}
.btn:hover { text-decoration: none; }
.btn-primary { background: var(--accent); color: #fff; }
.btn-primary:hover { background: var(--accent-hover); }
.btn-secondary { background: var(--surface); color: var(--text); border-color: #d0d5dd; }
.btn-secondary:hover { background: var(--bg); }
.btn-danger { background: var(--danger); color: #fff; }
.btn-danger:hover { background: var(--danger-hover); }
.btn-ghost-danger { background: transparent; color: var(--danger); border-color: #fecdca; padding: 7px 12px; }
.btn-ghost-danger:hover { background: var(--danger-soft); }
.btn-link { background: none; border: 0; color: var(--muted); font-weight: 500; padding: 6px 8px; }
.btn-link:hover { color: var(--text); }
.btn-block { width: 100%; }
.btn-small { padding: 7px 12px; font-size: .85rem; background: var(--surface); color: var(--text); border-color: #d0d5dd; }
.btn-small:hover { background: var(--bg); }
.btn-small.btn-primary { background: var(--accent); color: #fff; border-color: transparent; }
.btn-small.btn-ghost-danger { color: var(--danger); border-color: #fecdca; }
.actions { display: flex; gap: 12px; align-items: center; margin-top: 24px; }

.field { margin-bottom: 20px; }
.field label { display: block; font-weight: 600; font-size: .9rem; margin-bottom: 6px; }
.field .optional { color: var(--muted); font-weight: 400; }
fieldset { border: 0; padding: 0; margin: 0 0 20px; min-width: 0; }
legend { font-weight: 600; font-size: .9rem; margin-bottom: 8px; padding: 0; }
fieldset > .hint { margin: 0 0 12px; }
.choice { display: grid; grid-template-columns: auto 1fr; gap: 0 10px; align-items: center; margin-bottom: 10px; }
.choice label { font-weight: 500; margin: 0; }
.choice .hint { grid-column: 2; margin: 0; }
.choice input { width: 18px; height: 18px; margin: 0; accent-color: var(--accent); }
table.access { margin-top: 8px; border: 1px solid var(--border); border-radius: 8px; }
table.access caption { text-align: left; font-size: .85rem; color: var(--muted); padding: 4px 0 8px; }
table.access th[scope=row] { background: none; text-transform: none; letter-spacing: 0; font-size: .9rem; color: var(--text); }
table.access th, table.access td { padding: 8px 12px; }
input[type=text], input[type=email], input[type=password], input[type=date], input[type=search], input[type=url], select, textarea {
  width: 100%; font: inherit; padding: 10px 12px; border: 1px solid #d0d5dd; border-radius: 8px;
  background: var(--surface); color: var(--text); box-shadow: 0 1px 2px rgba(16, 24, 40, .05);
}
textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem; resize: vertical; }
input:focus, select:focus, textarea:focus { outline: none; border-color: var(--accent); box-shadow: 0 0 0 4px #c7d2fe; }
input[type=radio]:focus-visible { outline: 3px solid #a5b4fc; outline-offset: 2px; }
summary { list-style: none; }
summary::-webkit-details-marker { display: none; }
input[aria-invalid=true], textarea[aria-invalid=true] { border-color: var(--danger); }
input[aria-invalid=true]:focus, textarea[aria-invalid=true]:focus { box-shadow: 0 0 0 4px #fee4e2; }
.hint { color: var(--muted); font-size: .85rem; margin: 6px 0 0; }
.field-error { color: var(--danger); font-size: .85rem; margin: 6px 0 0; font-weight: 500; }
.narrow { max-width: 520px; }

.alert { border-radius: var(--radius); padding: 12px 16px; margin-bottom: 20px; border: 1px solid; font-size: .92rem; }
.alert > strong { display: block; margin-bottom: 2px; }
.alert p:last-child { margin-bottom: 0; }
.alert.spaced { margin: 20px 0 0; }
.alert-error { background: var(--danger-soft); border-color: #fecdca; color: #912018; }
.alert-success { background: var(--ok-soft); border-color: #abefc6; color: var(--ok); }
.alert-warning { background: var(--warn-soft); border-color: var(--warn-border); color: #93370d; }
.alert-info { background: var(--accent-soft); border-color: #c7d2fe; color: #3730a3; }

.badge { display: inline-block; font-size: .72rem; font-weight: 600; padding: 2px 8px; border-radius: 999px; margin: 4px 4px 0 0; border: 1px solid; white-space: nowrap; }
.badge-danger { background: var(--danger-soft); color: #912018; border-color: #fecdca; }
.badge-warn { background: var(--warn-soft); color: #93370d; border-color: var(--warn-border); }
.badge-info { background: var(--accent-soft); color: #3730a3; border-color: #c7d2fe; }
.badge-ok { background: var(--ok-soft); color: var(--ok); border-color: #abefc6; }
.badge-muted { background: #f2f4f7; color: #344054; border-color: #d0d5dd; }
.badge-test { background: #fdf2fa; color: #9e165f; border-color: #fcceee; }
.spaced-top { margin-top: 20px; }
.hint-stale { color: #93370d; font-size: .8rem; white-space: normal; max-width: 180px; }
tr.leaked td { background: #fffbfa; }

.limits h2 { margin-bottom: 12px; }
.limits dl.details dd .muted { font-size: .85rem; }
.list-controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; padding: 16px; border-bottom: 1px solid var(--border); }
.list-controls .filter { display: flex; flex-direction: column; gap: 4px; }
.list-controls .grow { flex: 1; min-width: 180px; }
.list-controls label { font-size: .8rem; font-weight: 600; color: var(--muted); }
.list-controls select { width: auto; padding: 9px 10px; }
.list-count { margin: 0; padding: 10px 16px; font-size: .85rem; color: var(--muted); border-bottom: 1px solid var(--border); }
th a { color: inherit; }
.row-actions { display: flex; gap: 6px; justify-content: flex-end; align-items: flex-start; flex-wrap: wrap; }
td.name { min-width: 200px; max-width: 260px; }
.key-name { display: block; }
.marks { display: flex; flex-wrap: wrap; align-items: center; gap: 4px; margin-top: 4px; font-weight: 400; }
.marks .badge { margin: 0; white-space: normal; }
.link-button { display: inline-block; cursor: pointer; color: var(--accent); font-weight: 500; font-size: .82rem; margin-top: 4px; border-radius: 4px; }
.link-button:hover { text-decoration: underline; }
.row-actions { flex-wrap: nowrap; }
.key-links { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0 14px; }
.inline-form { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 6px; font-weight: 400; }
.inline-form label { font-size: .8rem; font-weight: 600; width: 100%; }
.inline-form input { flex: 1; min-width: 160px; padding: 7px 10px; }

table { width: 100%; border-collapse: collapse; font-size: .92rem; }
th { white-space: nowrap; text-align: left; font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; background: #f9fafb; }
th, td { padding: 12px 10px; border-bottom: 1px solid var(--border); vertical-align: middle; }
tr:last-child td { border-bottom: 0; }
td.name { font-weight: 600; }
td.date { white-space: nowrap; }
td.end { text-align: right; }
td form { margin: 0; }
.prefix { background: #f2f4f7; border-radius: 6px; padding: 2px 8px; color: #344054; white-space: nowrap; }
.table-wrap { overflow-x: auto; }
.empty { text-align: center; padding: 48px 24px; color: var(--muted); }
.empty h2 { color: var(--text); }

.secret { display: flex; gap: 8px; margin: 8px 0 4px; }
.secret input { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem; background: #f9fafb; }
dl.details { display: grid; grid-template-columns: max-content 1fr; gap: 8px 24px; margin: 0; font-size: .92rem; }
.secret-box dl.details { margin-top: 20px; }
dl.details dt { color: var(--muted); }
dl.details dd { margin: 0; }

.chart { margin: 8px 0 0; }
.usage-chart { display: block; width: 100%; height: auto; }
.axis-label { fill: var(--muted); font-size: 12px; font-family: inherit; }
.axis-line { stroke: #98a2b3; stroke-width: 1; }
.grid-line { stroke: var(--border); stroke-width: 1; }
.fill-admitted { fill: #4f46e5; }
.fill-rateLimited { fill: #b54708; }
.fill-quotaExceeded { fill: #c11574; }
.fill-forbidden { fill: #475467; }
.usage-chart rect:hover { opacity: .8; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; margin: 12px 0 0; padding: 0; font-size: .85rem; color: var(--muted); }
.legend li { display: inline-flex; align-items: center; gap: 6px; }
.data-table { margin-top: 12px; }
.data-table[open] summary { margin-bottom: 8px; }
table.numbers td.num, table.numbers th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.numbers tfoot th, table.numbers tfoot td { font-weight: 700; border-top: 1px solid var(--border); border-bottom: 0; }
table.numbers tbody th a { color: var(--accent); }
table.numbers tbody th[scope=row] { text-transform: none; letter-spacing: 0; font-size: .92rem; color: var(--text); background: none; font-weight: 600; }
table.numbers tfoot th[scope=row] { text-transform: none; letter-spacing: 0; font-size: .92rem; color: var(--text); background: none; }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding-bottom: 12px; }
.card-head h2 { margin: 0; }
form.card-body > h2 { margin-bottom: 16px; }
.test-event { border-top: 1px solid var(--border); display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap; }
.test-event p { margin: 0; min-width: 0; }
.pager { display: flex; gap: 8px; justify-content: flex-end; padding: 12px 16px; border-top: 1px solid var(--border); }
tr.flagged td { background: #fffbfa; }
.details-line { margin-top: 2px; max-width: 360px; }
.break { overflow-wrap: anywhere; }
.actor { overflow-wrap: anywhere; }
.quota-line { margin: 0 0 4px; }
.list-controls .btn { align-self: flex-end; }

.auth { min-height: 100vh; display: flex; flex-direction: column; align-items: center; justify-content: center; padding: 24px; }
.auth .brand { margin-bottom: 24px; font-size: 1.25rem; }
.auth .card { width: 100%; max-width: 400px; }
.auth .card-body { padding: 32px; }
.auth h1 { font-size: 1.35rem; }
.auth footer { margin-top: 24px; color: var(--muted); font-size: .85rem; }
.error-page { text-align: center; padding: 64px 24px; }
.error-page .code { font-size: .85rem; font-weight: 700; color: var(--accent); letter-spacing: .08em; }

@media (max-width: 760px) {
  .settings { grid-template-columns: 1fr; gap: 16px; }
  .account span { display: none; }
  .topbar .container { gap: 12px; }
  .page-header { flex-direction: column; }
}
`;
