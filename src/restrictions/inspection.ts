/**
 * What one `/v1` request shows a key's restrictions (CONTRACT §8): the
 * client's address (`CF-Connecting-IP`), whether its route is a sending route
 * (SENDING_ROUTES), and, only when a restriction on senders may apply, the
 * sender domains of its JSON body.
 *
 * The body is read at most once, and only for a sending request of a key
 * whose record, lease or last refusal restricts senders (gate/authorize.ts
 * asks `wants`), or whose live policy turns out to (the gate answers
 * `needs_senders`). The bytes read are the bytes forwarded and signed
 * (proxy/body.ts), so the origin gets exactly what was checked.
 *
 * Bounds: a body is checked up to SENDER_CHECK_MAX_BYTES (default 1 MiB). A
 * longer one, declared or streamed, is a 413 for a key restricted to sender
 * domains; one declared longer is not read at all. The batch bound is
 * senders.ts's. Why a body cannot be checked (413, or a 400: not JSON, no
 * `from`, a `from` that is not one address, a Content-Length that is not the
 * body's) is kept rather than thrown: it is the answer only if the key's live
 * policy restricts senders, which the gate or a lease says (`senders`). A
 * body over MAX_BODY_BYTES or one that breaks off is refused at once, as the
 * proxy would refuse it.
 */
import type { Config } from "../config";
import { ApiError } from "../errors";
import { assertDeclaredSize, readAll } from "../proxy/body";
import type { Target } from "../url";
import { type RequestFacts, type Restrictions, restrictsSenders } from "./decide";
import { sendersOf } from "./senders";

/** `application/json` or `application/{anything}+json`, with any parameters. */
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

const badRequest = (message: string) => new ApiError("BAD_REQUEST", message);

export class RequestInspection {
  /** CF-Connecting-IP as the edge set it; null when it did not (local development without it, a test). */
  readonly clientIp: string | null;
  readonly sending: boolean;
  /** The body as read for the check, once: what the proxy forwards and signs. */
  body?: Uint8Array;
  private senders?: string[];
  /** Why the body cannot be checked, kept until a live policy says it matters. */
  private problem?: ApiError;
  private reading?: Promise<void>;

  constructor(
    private readonly request: Request,
    target: Pick<Target, "method" | "pathname">,
    private readonly config: Pick<Config, "isSendingRoute" | "MAX_BODY_BYTES" | "SENDER_CHECK_MAX_BYTES">,
  ) {
    this.clientIp = request.headers.get("cf-connecting-ip");
    this.sending = config.isSendingRoute(target.method, target.pathname);
  }

  /** What a decision reads of this request, as plain data (it travels to the gate). */
  facts(): Omit<RequestFacts, "scope"> {
    return { clientIp: this.clientIp, sending: this.sending, senders: this.senders };
  }

  /** Whether to read the body before deciding: a sending request not read yet, of a key one of `rules` restricts to senders. */
  wants(...rules: Array<Restrictions | undefined>): boolean {
    return this.sending && this.reading === undefined && restrictsSenders(...rules);
  }

  /** Reads and checks the body, once; why it cannot be checked is kept, not thrown (see the module comment). */
  read(): Promise<void> {
    this.reading ??= this.readOnce();
    return this.reading;
  }

  /**
   * The body, read already by another step (an idempotent request buffers
   * it to hash it): checked from these bytes, never read again. The bytes
   * go on as the step that read them sends them.
   */
  given(bytes: Uint8Array): void {
    this.reading ??= this.readOnce(bytes);
  }

  /** Why the body could not be checked, once read: the answer when a live policy needs its senders. */
  get unreadable(): ApiError | undefined {
    return this.problem;
  }

  /** The sender domains, read first if they were not: or the kept 400 or 413, now that a live policy needs them. */
  async sendersOrThrow(): Promise<readonly string[]> {
    await this.read();
    if (this.problem) throw this.problem;
    return this.senders as string[];
  }

  private async readOnce(given?: Uint8Array): Promise<void> {
    const { request } = this;
    const type = request.headers.get("content-type") ?? "";
    const charset = CHARSET.exec(type)?.[1];
    const encoding = request.headers.get("content-encoding")?.trim().toLowerCase();
    if (request.body === null) {
      this.problem = badRequest("body: is required for a key restricted to sender domains");
    } else if (!JSON_TYPE.test(type) || (charset !== undefined && charset.toLowerCase() !== "utf-8")) {
      this.problem = badRequest(
        "Content-Type: must be application/json (UTF-8) for a key restricted to sender domains",
      );
    } else if (encoding && encoding !== "identity") {
      this.problem = badRequest("Content-Encoding: a key restricted to sender domains sends its body uncompressed");
    } else if (given) {
      this.checkRead(given, assertDeclaredSize(request, this.config.MAX_BODY_BYTES));
    } else {
      await this.readBody(request.body);
    }
  }

  private async readBody(stream: ReadableStream<Uint8Array>): Promise<void> {
    const { request, config } = this;
    const bound = config.SENDER_CHECK_MAX_BYTES;
    const tooLarge = new ApiError(
      "PAYLOAD_TOO_LARGE",
      `Request body too large: a key restricted to sender domains sends at most ${bound} bytes`,
    );
    // Declared longer than the bound: not read, so the proxy can still stream it if no live policy needs it.
    const declared = assertDeclaredSize(request, config.MAX_BODY_BYTES);
    if (declared !== null && declared > bound) {
      this.problem = tooLarge;
      return;
    }
    try {
      this.body = await readAll(stream, config.MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw badRequest("body: could not be read to its end");
    }
    this.checkRead(this.body, declared);
  }

  /** The 413 of a body over SENDER_CHECK_MAX_BYTES. */
  private tooLarge(): ApiError {
    const bound = this.config.SENDER_CHECK_MAX_BYTES;
    return new ApiError(
      "PAYLOAD_TOO_LARGE",
      `Request body too large: a key restricted to sender domains sends at most ${bound} bytes`,
    );
  }

  /** Checks bytes read (here, or by another step) against the declared length, the bound, and for their senders. */
  private checkRead(bytes: Uint8Array, declared: number | null): void {
    const bound = this.config.SENDER_CHECK_MAX_BYTES;
    if (declared !== null && bytes.byteLength !== declared) {
      this.problem = badRequest(`Content-Length: says ${declared} bytes, the body has ${bytes.byteLength}`);
    } else if (bytes.byteLength > bound) {
      this.problem = this.tooLarge();
    } else {
      this.check(bytes);
    }
  }

  private check(bytes: Uint8Array): void {
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      this.problem = badRequest("body: must be UTF-8 JSON for a key restricted to sender domains");
      return;
    }
    const result = sendersOf(text);
    if ("message" in result) this.problem = badRequest(result.message);
    else this.senders = result.senders;
  }
}
