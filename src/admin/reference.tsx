/**
 * The admin API reference at /admin/docs: the OpenAPI document rendered on
 * the server as one plain HTML page (hono/jsx), operation by operation, with
 * each body's fields, each response, and the shared schemas. It runs no
 * script and loads nothing, so the dashboard's origin trusts no CDN for it;
 * its CSP (`referenceHeaders`) allows only its own stylesheet, by nonce.
 * Schemas are shown by schema-view.tsx.
 */
import type { Context, MiddlewareHandler } from "hono";
import { html } from "hono/html";
import { NONCE, secureHeaders } from "hono/secure-headers";
import { type Schema, SchemaView, Text } from "./schema-view";

type Content = { content?: Record<string, { schema?: Schema }> };
interface Operation {
  summary?: string;
  description?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>;
  requestBody?: Content & { required?: boolean };
  responses?: Record<string, Content & { description?: string }>;
}

/** The parts of an OpenAPI 3.1 document the page shows. */
export interface ApiDocument {
  info: { title: string; version: string; description?: string };
  servers?: Array<{ url: string }>;
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const STYLES = `
body{font:15px/1.5 system-ui,sans-serif;color:#1f2937;max-width:60rem;margin:0 auto;padding:2rem 1.5rem}
h1{margin:0 0 .25rem}h2{margin:2.5rem 0 .25rem;font-size:1.15rem;font-family:ui-monospace,monospace}
h3{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:#6b7280;margin:1rem 0 .25rem}
code{font-family:ui-monospace,monospace;background:#f3f4f6;padding:0 .25rem;border-radius:3px}
a{color:#4338ca}ul{padding-left:1.25rem;margin:.25rem 0}li{margin:.15rem 0}
.muted,.type{color:#6b7280}.req{color:#b91c1c;font-size:.8rem}
h3.schema{text-transform:none;letter-spacing:0;font:600 1rem ui-monospace,monospace;color:#1f2937}
section{border-top:1px solid #e5e7eb}table{border-collapse:collapse}td{padding:.2rem 1rem .2rem 0;vertical-align:top}
`;

/** The id of an operation's section, for the table of contents' links. */
const anchor = (method: string, path: string) => `${method}-${path}`.replace(/[^A-Za-z0-9-]+/g, "-");
const jsonSchema = (content?: Content) => content?.content?.["application/json"]?.schema;

function OperationView(props: { method: string; path: string; operation: Operation }) {
  const { method, path, operation } = props;
  const body = jsonSchema(operation.requestBody);
  return (
    <section id={anchor(method, path)}>
      <h2>{`${method.toUpperCase()} ${path}`}</h2>
      <p>
        <strong>{operation.summary}</strong>
      </p>
      {operation.description && (
        <p>
          <Text text={operation.description} />
        </p>
      )}
      {operation.parameters?.length ? (
        <>
          <h3>Parameters</h3>
          <ul>
            {operation.parameters.map((p) => (
              <li>
                <code>{p.name}</code> <span class="muted">{`in ${p.in}${p.required ? ", required" : ""}`}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {body && (
        <>
          <h3>{`JSON body${operation.requestBody?.required ? "" : " (optional)"}`}</h3>
          <SchemaView schema={body} />
        </>
      )}
      <h3>Responses</h3>
      <table>
        {Object.entries(operation.responses ?? {}).map(([status, response]) => (
          <tr>
            <td>
              <code>{status}</code>
            </td>
            <td>
              <Text text={response.description} />
              <SchemaView schema={jsonSchema(response)} />
            </td>
          </tr>
        ))}
      </table>
    </section>
  );
}

/** The whole reference page for `doc`, under the request's CSP nonce. */
export function ReferencePage(props: { doc: ApiDocument; nonce: string; documentUrl: string }) {
  const { doc } = props;
  const base = doc.servers?.[0]?.url ?? "";
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method, path: `${base}${path}`, operation })),
  );
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{doc.info.title}</title>
        <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: STYLES }} />
      </head>
      <body>
        <h1>{doc.info.title}</h1>
        <p class="muted">
          {`Version ${doc.info.version} · `}
          <a href={props.documentUrl}>OpenAPI document (JSON)</a>
        </p>
        <p>
          <Text text={doc.info.description} />
        </p>
        <ul>
          {operations.map(({ method, path, operation }) => (
            <li>
              <a href={`#${anchor(method, path)}`}>
                <code>{`${method.toUpperCase()} ${path}`}</code>
              </a>{" "}
              {operation.summary}
            </li>
          ))}
        </ul>
        {operations.map((op) => (
          <OperationView {...op} />
        ))}
        <section>
          <h2>Schemas</h2>
          {Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => (
            <div id={`schema-${name}`}>
              <h3 class="schema">{name}</h3>
              {Array.isArray(schema.type) && schema.type.includes("null") && <p class="muted">An object, or null:</p>}
              <SchemaView schema={schema} />
            </div>
          ))}
        </section>
      </body>
    </html>
  );
}

/** The reference page's headers: a CSP that allows its own stylesheet and nothing else. */
export const referenceHeaders: MiddlewareHandler = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    styleSrc: [NONCE],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  xFrameOptions: "DENY",
  referrerPolicy: "same-origin",
});

/** A handler answering the reference page of the document `getDocument` gives, linking to `documentUrl`. */
export function apiReference(getDocument: () => ApiDocument, documentUrl: string) {
  return async function apiReference(c: Context) {
    const page = (
      <ReferencePage doc={getDocument()} nonce={c.get("secureHeadersNonce") ?? ""} documentUrl={documentUrl} />
    );
    return c.html(html`<!DOCTYPE html>${page}`);
  };
}
