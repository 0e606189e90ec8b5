/**
 * JSON as a sender check must read it: exactly one value per name. Parsers
 * disagree on `{"from": "a@acme.test", "from": "x@evil.test"}` (JavaScript,
 * Go and Python keep the last, others the first or refuse it), so a body
 * with a name twice in any object could be checked as one message and sent
 * as another. `JSON.parse` cannot tell (it keeps the last), so after it has
 * accepted the text, a scan of its tokens finds a repeated name, escapes
 * decoded (`"fr\u006fm"` is `from`).
 */

/** A JSON string token (the text is known to be valid JSON: no need to check escapes). */
const STRING = /"[^"\\]*(?:\\.[^"\\]*)*"/y;
/** A number, `true`, `false` or `null`. */
const SCALAR = /[^,\]}\s]+/y;

/** The first name that an object of `text` (valid JSON) holds twice, or undefined. */
export function repeatedName(text: string): string | undefined {
  // One entry per open container: the names seen in an object, null for an array.
  const open: Array<Set<string> | null> = [];
  let expectName = false;
  for (let i = 0; i < text.length; ) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      STRING.lastIndex = i;
      STRING.test(text);
      const end = STRING.lastIndex;
      if (expectName) {
        const raw = text.slice(i + 1, end - 1);
        const name = raw.includes("\\") ? (JSON.parse(text.slice(i, end)) as string) : raw;
        const names = open[open.length - 1] as Set<string>;
        if (names.has(name)) return name;
        names.add(name);
        expectName = false;
      }
      i = end;
    } else if (code === 0x7b) {
      open.push(new Set());
      expectName = true;
      i++;
    } else if (code === 0x5b) {
      open.push(null);
      i++;
    } else if (code === 0x7d || code === 0x5d) {
      open.pop();
      expectName = false;
      i++;
    } else if (code === 0x2c) {
      expectName = open[open.length - 1] != null;
      i++;
    } else if (code === 0x3a || code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) {
      i++;
    } else {
      SCALAR.lastIndex = i;
      SCALAR.test(text);
      i = SCALAR.lastIndex;
    }
  }
  return undefined;
}

/** The value of `text`, or why it cannot be checked: not JSON, or a name repeated in an object. */
export function parseStrictJson(
  text: string,
): { value: unknown } | { problem: "not-json" | "repeated"; name?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: "not-json" };
  }
  const name = repeatedName(text);
  return name === undefined ? { value } : { problem: "repeated", name };
}
