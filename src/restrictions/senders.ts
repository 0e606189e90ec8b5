/**
 * The sender domains of a sending request's JSON body (CONTRACT §8): one
 * message (an object with `from`) or a batch (an array of them, at most
 * MAX_BATCH). Every address a message could be sent from is read, not only
 * the first: `from` itself, a `from` under another case (`From`, `FROM`), which
 * a lenient origin might take, and a `From` or `Sender` header in the
 * message's `headers` object. A body that cannot be read so (not JSON, a
 * name twice in an object, no `from`, a `from` that is not one address) is a
 * 400 whose message names the place, as the admin API's do (`[3].from: …`).
 */
import { senderDomain } from "./address";
import { parseStrictJson } from "./json";

/** The most messages a batch may hold: a larger one is a 400, read no further. */
export const MAX_BATCH = 100;

const ADDRESS = 'must be one address, "addr@domain" or "Name <addr@domain>"';

/** The distinct sender domains of a body, or the 400's message. */
export type SendersResult = { senders: string[] } | { message: string };

type Message = Record<string, unknown>;

const isObject = (value: unknown): value is Message =>
  typeof value === "object" && value !== null && !Array.isArray(value);

class Unreadable extends Error {}

/** Adds the domain of one address field to `into`, or throws its 400. */
function addAddress(into: Set<string>, value: unknown, field: string): void {
  if (typeof value !== "string")
    throw new Unreadable(`${field}: must be a string, "addr@domain" or "Name <addr@domain>"`);
  const domain = senderDomain(value);
  if (domain === null) throw new Unreadable(`${field}: ${ADDRESS}`);
  into.add(domain);
}

/** Adds every address one message could be sent from (`at`: its place in a batch, "" for a lone message). */
function addMessage(into: Set<string>, message: unknown, at: string): void {
  if (!isObject(message)) throw new Unreadable(`${at || "body"}: must be a message object`);
  const field = (name: string) => (at ? `${at}.${name}` : name);
  if (!Object.hasOwn(message, "from"))
    throw new Unreadable(`${field("from")}: is required for a key restricted to sender domains`);
  for (const name of Object.keys(message)) {
    if (name.toLowerCase() === "from") addAddress(into, message[name], field(name));
  }
  const headers = message.headers;
  if (!isObject(headers)) return;
  for (const name of Object.keys(headers)) {
    const header = name.trim().toLowerCase();
    if (header === "from" || header === "sender") addAddress(into, headers[name], field(`headers.${name}`));
  }
}

/** The sender domains of a sending request's body text (already decoded from UTF-8). */
export function sendersOf(text: string): SendersResult {
  const parsed = parseStrictJson(text);
  if ("problem" in parsed) {
    return {
      message:
        parsed.problem === "repeated"
          ? `body: names ${JSON.stringify(parsed.name)} twice in one object: each name may appear once`
          : "body: must be JSON for a key restricted to sender domains",
    };
  }
  const senders = new Set<string>();
  try {
    const body = parsed.value;
    if (!Array.isArray(body)) {
      addMessage(senders, body, "");
    } else {
      if (body.length === 0) throw new Unreadable("body: a batch must hold at least one message");
      if (body.length > MAX_BATCH) {
        throw new Unreadable(`body: a batch holds at most ${MAX_BATCH} messages, this one ${body.length}`);
      }
      for (const [i, message] of body.entries()) addMessage(senders, message, `[${i}]`);
    }
  } catch (error) {
    if (error instanceof Unreadable) return { message: error.message };
    throw error;
  }
  return { senders: [...senders] };
}
