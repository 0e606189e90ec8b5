/**
 * How a JSON Schema (as in the admin API's OpenAPI document) reads on the
 * reference page: a type in a few words (`string | null`, `array of Key`, a
 * link to a named schema), a field's rules in words, an object as its list
 * of fields. Text is escaped by JSX; `code` spans are the one markup read.
 */
import type { Child } from "hono/jsx";

/** The parts of an OpenAPI 3.1 schema the page shows. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  description?: string;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  example?: unknown;
}

/** Plain text with `code` spans. */
export function Text(props: { text?: string }) {
  if (!props.text) return null;
  return <>{props.text.split("`").map((part, i) => (i % 2 === 1 ? <code>{part}</code> : part))}</>;
}

const refName = (ref: string) => ref.slice(ref.lastIndexOf("/") + 1);

function join(parts: Child[], separator: string): Child[] {
  return parts.flatMap((part, i) => (i === 0 ? [part] : [separator, part]));
}

/** A schema's type in a few words: `string | null`, `array of Key`, a link to a named schema. */
function TypeName(props: { schema: Schema }): Child {
  const { schema } = props;
  if (schema.$ref) return <a href={`#schema-${refName(schema.$ref)}`}>{refName(schema.$ref)}</a>;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants)
    return (
      <>
        {join(
          variants.map((variant) => <TypeName schema={variant} />),
          " | ",
        )}
      </>
    );
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? "any"];
  const named = types.map((type) => (type === "array" && schema.items ? <TypeOfArray items={schema.items} /> : type));
  return <>{join(named, " | ")}</>;
}

function TypeOfArray(props: { items: Schema }) {
  return (
    <>
      array of <TypeName schema={props.items} />
    </>
  );
}

/** A field's rules in words: length, range, format, pattern, example. */
function rules(schema: Schema): string[] {
  const out: string[] = [];
  if (schema.format) out.push(schema.format);
  const characters = (n: number) => `${n} character${n === 1 ? "" : "s"}`;
  if (schema.minLength !== undefined) out.push(`at least ${characters(schema.minLength)}`);
  if (schema.maxLength !== undefined) out.push(`at most ${characters(schema.maxLength)}`);
  if (schema.minimum !== undefined) out.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) out.push(`≤ ${schema.maximum}`);
  if (schema.minItems !== undefined) out.push(`at least ${schema.minItems} items`);
  if (schema.maxItems !== undefined) out.push(`at most ${schema.maxItems} items`);
  if (schema.pattern) out.push(`matching ${schema.pattern}`);
  if (schema.items) out.push(...rules(schema.items).map((rule) => `each ${rule}`));
  if (schema.example !== undefined) out.push(`e.g. ${JSON.stringify(schema.example)}`);
  return out;
}

/** An object's fields, nested objects inline; anything else as its type. */
export function SchemaView(props: { schema?: Schema }) {
  const { schema } = props;
  if (!schema) return null;
  if (!schema.properties) {
    return (
      <>
        {": "}
        <TypeName schema={schema} />
      </>
    );
  }
  const required = new Set(schema.required ?? []);
  return (
    <ul>
      {Object.entries(schema.properties).map(([name, field]) => (
        <li>
          <code>{name}</code> <span class="type">{field.properties ? "object" : <TypeName schema={field} />}</span>{" "}
          {required.has(name) ? <span class="req">required</span> : <span class="muted">optional</span>}
          {rules(field).length > 0 && <span class="muted">{`; ${rules(field).join(", ")}`}</span>}
          {field.description && (
            <>
              {" — "}
              <Text text={field.description} />
            </>
          )}
          {field.properties && <SchemaView schema={field} />}
        </li>
      ))}
    </ul>
  );
}
