/**
 * `POST /secret-scanning/github` (CONTRACT §7): GitHub's secret-scanning
 * partner endpoint. GitHub posts a JSON array `[{token, type, url, source}]`
 * of tokens it found in public content, signed (ECDSA P-256, SHA-256) over
 * the raw body with the key named by `Github-Public-Key-Identifier`
 * (public-keys.ts). The signature is checked before the body is even parsed:
 * a missing, malformed or wrong signature, a tampered body or an unknown key
 * is a 401 and changes nothing. A valid report is answered with one
 * `{token_hash, token_type, label}` per token (report.ts labels and handles
 * them). Enrolment with GitHub: docs/secret-scanning.md.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { describeIssues } from "../admin/validation";
import type { AppEnv } from "../app-env";
import { clientIp } from "../audit/context";
import { bySystem } from "../audit/entries";
import { sha256Hex } from "../crypto";
import { ApiError, serviceUnavailable } from "../errors";
import { githubPublicKey } from "./public-keys";
import { handleReport } from "./report";
import { importPublicKey, verifyReportSignature } from "./signature";

export const TOKEN_TYPE = "momail_api_key";
/** What the audit log says made the change. */
export const GITHUB_REASON = "github-secret-scanning";
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const MAX_TOKENS = 5_000;

const Report = z
  .array(
    z.object({
      token: z.string().max(1_000),
      type: z.string().max(200).nullish(),
      url: z.string().max(2_048).nullish(),
      source: z.string().max(200).nullish(),
    }),
  )
  .max(MAX_TOKENS, `must hold at most ${MAX_TOKENS} tokens`);

const unauthorized = () => new ApiError("UNAUTHORIZED", "Invalid or missing GitHub signature");

export const secretScanning = new Hono<AppEnv>();

secretScanning.post(
  "/github",
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE");
    },
  }),
  async (c) => {
    const keyId = c.req.header("Github-Public-Key-Identifier")?.trim();
    const signature = c.req.header("Github-Public-Key-Signature");
    if (!keyId || !signature || keyId.length > 200) throw unauthorized();
    const body = new Uint8Array(await c.req.arrayBuffer());
    let pem: string | null;
    try {
      pem = await githubPublicKey(c.env, c.var.config, keyId);
    } catch (error) {
      throw serviceUnavailable(error, "GitHub's public keys could not be fetched; retry the report");
    }
    const key = pem && (await importPublicKey(pem));
    if (!key || !(await verifyReportSignature(key, signature, body))) throw unauthorized();

    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
    } catch {
      throw new ApiError("BAD_REQUEST", "body: is not valid JSON");
    }
    const parsed = Report.safeParse(json);
    if (!parsed.success) throw new ApiError("BAD_REQUEST", describeIssues(parsed.error));
    const reported = parsed.data.map(({ token, url, source }) => ({ token, url: url ?? null, source: source ?? null }));
    const verdicts = await handleReport(c.env, c.var.config, reported, bySystem(GITHUB_REASON, clientIp(c)));
    const answer = await Promise.all(
      verdicts.map(async ({ token, label }) => ({ token_hash: await sha256Hex(token), token_type: TOKEN_TYPE, label })),
    );
    return c.json(answer, 200);
  },
);
