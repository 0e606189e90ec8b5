/**
 * Settings > API Keys, for a signed-in user and only over their own
 * account's keys (every call goes through actions.ts): the list, sorted and
 * filtered by its query (a key its leak report revoked stays listed, marked,
 * until it is deleted); Create New Key; rename; roll; delete with a
 * confirmation step. A new or rolled key is shown once, after a redirect
 * (reveal.ts), so a reload creates nothing. Every state change is a POST
 * behind the session and its CSRF token (guard.ts); a key id of another
 * account is a 404, exactly like one that does not exist.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import type { ApiKey } from "../db/schema";
import { ApiError } from "../errors";
import { logWarning } from "../log";
import type { KeyInput } from "../operations/keys";
import {
  accountWithUsage,
  createAccountKey,
  deleteKey,
  keysOfAccount,
  listedKey,
  liveKey,
  liveKeyOrNull,
  renameKey,
  rollKey,
  sessionAccount,
} from "./actions";
import { readForm } from "./csrf";
import { type NewKeyValues, parseNewKeyForm, parseRenameForm, parseRollForm } from "./forms";
import { keyCap, parseListQuery, selectKeys } from "./key-list";
import { ApiKeysPage } from "./pages/api-keys";
import { DeleteKeyPage } from "./pages/delete-key";
import { KeyGonePage, KeyShownPage } from "./pages/key-shown";
import { NewKeyPage } from "./pages/new-key";
import { RenameKeyPage } from "./pages/rename-key";
import { RollKeyPage } from "./pages/roll-key";
import { pageContext, renderPage } from "./render";
import { holdForOneView, type Reveal, takeReveal } from "./reveal";

const KEYS_PATH = "/dashboard/settings/api-keys";
const KEY_ID = /^key_[A-Za-z0-9]{20}$/;
const PREFIX = /^[a-z0-9]{8}$/;

type Ctx = Context<AppEnv>;

/** The key id of the route, or a 404 before any lookup when it cannot be one. */
function keyIdParam(c: Ctx): string {
  const value = c.req.param("keyId") ?? "";
  if (!KEY_ID.test(value)) throw new ApiError("NOT_FOUND", "Key not found");
  return value;
}

/** A prefix from the query, for a notice; anything else is ignored. */
const prefixParam = (value: string | undefined) => (value && PREFIX.test(value) ? value : undefined);

const isConflict = (error: unknown): error is ApiError => error instanceof ApiError && error.code === "CONFLICT";

/**
 * Shows a new key once: held for one view, then a 303 to that view. If it
 * cannot be held, the key exists already, so it is shown in this answer
 * rather than lost (a reload of this one answer would post again).
 */
async function showOnce(c: Ctx, reveal: Reveal, row: ApiKey) {
  try {
    return c.redirect(await holdForOneView(c, reveal), 303);
  } catch (error) {
    logWarning("dashboard: could not hold a new key for one view; shown in the POST's answer", {
      error: String(error),
    });
    const replaced = reveal.replacesKeyId ? await liveKeyOrNull(c, reveal.replacesKeyId) : undefined;
    const page = <KeyShownPage page={pageContext(c)} apiKey={row} secretKey={reveal.key} replaced={replaced} />;
    return renderPage(c, page, 201);
  }
}

export const apiKeyRoutes = new Hono<AppEnv>();

apiKeyRoutes.get("/", async (c) => {
  const [keys, { account, usage }] = await Promise.all([keysOfAccount(c), accountWithUsage(c)]);
  const query = parseListQuery(c.req.query());
  const cap = keyCap(account, keys, c.var.config.MAX_KEYS_PER_ACCOUNT);
  const page = (
    <ApiKeysPage
      page={pageContext(c)}
      table={{ keys: selectKeys(keys, query), account, config: c.var.config, query }}
      limits={{ account, config: c.var.config, usage, liveKeys: cap.live, maxKeys: cap.maxKeys }}
      total={keys.length}
      done={{ deleted: prefixParam(c.req.query("deleted")), renamed: prefixParam(c.req.query("renamed")) }}
      capNotice={cap.notice}
    />
  );
  return renderPage(c, page);
});

const EMPTY_FORM: NewKeyValues = { name: "", expiresOn: "", permissions: "full", access: {} };

apiKeyRoutes.get("/new", async (c) => {
  const [account, keys] = await Promise.all([sessionAccount(c), keysOfAccount(c)]);
  const { notice } = keyCap(account, keys, c.var.config.MAX_KEYS_PER_ACCOUNT);
  const resources = c.var.config.DASHBOARD_RESOURCES;
  return renderPage(
    c,
    <NewKeyPage page={pageContext(c)} values={EMPTY_FORM} resources={resources} capNotice={notice} />,
  );
});

apiKeyRoutes.post("/", async (c) => {
  const resources = c.var.config.DASHBOARD_RESOURCES;
  const form = parseNewKeyForm(await readForm(c), resources);
  const again = (status: 400 | 409, refused?: string) => {
    const page = (
      <NewKeyPage
        page={pageContext(c)}
        values={form.values}
        resources={resources}
        errors={form.errors ?? {}}
        refused={refused}
      />
    );
    return renderPage(c, page, status);
  };
  if (!form.input) return again(400);
  let created: Awaited<ReturnType<typeof createAccountKey>>;
  try {
    created = await createAccountKey(c, form.input satisfies KeyInput);
  } catch (error) {
    if (isConflict(error)) return again(409, error.message);
    throw error;
  }
  return showOnce(c, { keyId: created.row.id, replacesKeyId: null, key: created.key }, created.row);
});

apiKeyRoutes.get("/shown/:revealId", async (c) => {
  // Only a real view takes the key: a HEAD (a link checker, a prefetch) must not use it up.
  if (c.req.method === "HEAD") return c.body(null, 200);
  const gone = () => renderPage(c, <KeyGonePage page={pageContext(c)} />, 410);
  const reveal = await takeReveal(c, c.req.param("revealId"));
  if (!reveal) return gone();
  const key = await liveKeyOrNull(c, reveal.keyId);
  // Deleted in the moments since: the key no longer works, so it is not shown.
  if (!key) return gone();
  const replaced = reveal.replacesKeyId ? await liveKeyOrNull(c, reveal.replacesKeyId) : undefined;
  return renderPage(c, <KeyShownPage page={pageContext(c)} apiKey={key} secretKey={reveal.key} replaced={replaced} />);
});

apiKeyRoutes.get("/:keyId/rename", async (c) => {
  const key = await liveKey(c, keyIdParam(c));
  return renderPage(c, <RenameKeyPage page={pageContext(c)} apiKey={key} name={key.name} />);
});

apiKeyRoutes.post("/:keyId/rename", async (c) => {
  const keyId = keyIdParam(c);
  const form = parseRenameForm(await readForm(c));
  if (form.name === null) {
    const key = await liveKey(c, keyId);
    const page = <RenameKeyPage page={pageContext(c)} apiKey={key} name={form.values.name} error={form.errors.name} />;
    return renderPage(c, page, 400);
  }
  const key = await renameKey(c, keyId, form.name);
  return c.redirect(`${KEYS_PATH}?renamed=${key.prefix}`, 303);
});

apiKeyRoutes.get("/:keyId/roll", async (c) => {
  const key = await liveKey(c, keyIdParam(c));
  return renderPage(c, <RollKeyPage page={pageContext(c)} apiKey={key} grace="" />);
});

apiKeyRoutes.post("/:keyId/roll", async (c) => {
  const keyId = keyIdParam(c);
  const grace = parseRollForm(await readForm(c));
  const old = await liveKey(c, keyId);
  if (grace === null) {
    const error = "Choose how long the old key keeps working.";
    return renderPage(c, <RollKeyPage page={pageContext(c)} apiKey={old} grace="" error={error} />, 400);
  }
  let created: Awaited<ReturnType<typeof rollKey>>;
  try {
    created = await rollKey(c, keyId, grace);
  } catch (error) {
    if (!isConflict(error)) throw error;
    const page = (
      <RollKeyPage page={pageContext(c)} apiKey={await liveKey(c, keyId)} grace="" refused={error.message} />
    );
    return renderPage(c, page, 409);
  }
  return showOnce(c, { keyId: created.row.id, replacesKeyId: keyId, key: created.key }, created.row);
});

apiKeyRoutes.get("/:keyId/delete", async (c) => {
  const key = await listedKey(c, keyIdParam(c));
  return renderPage(c, <DeleteKeyPage page={pageContext(c)} apiKey={key} />);
});

apiKeyRoutes.post("/:keyId/delete", async (c) => {
  const key = await listedKey(c, keyIdParam(c));
  await deleteKey(c, key);
  return c.redirect(`${KEYS_PATH}?deleted=${key.prefix}`, 303);
});
