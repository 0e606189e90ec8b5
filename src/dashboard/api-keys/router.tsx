/**
 * Settings > API Keys, for a signed-in user and only over their own
 * account's keys (every call goes through ../operations.ts): the list,
 * sorted and filtered by its query (a key its leak report revoked stays
 * listed, marked, until it is deleted); Create New Key; rename; roll; a key's
 * restrictions; delete with a confirmation step. A new or rolled key is shown once, after a
 * redirect (../reveal.ts), so a reload creates nothing. Every state change is
 * a POST behind the session and its CSRF token (../settings.tsx); a key id
 * of another account is a 404, exactly like one that does not exist.
 */

import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import type { ApiKey } from "../../db/schema";
import { ApiError } from "../../errors";
import { isId } from "../../ids";
import { logWarning } from "../../log";
import { isApiError } from "../errors";
import {
  accountWithUsage,
  createAccountKey,
  deleteKey,
  keysOfAccount,
  listedKey,
  liveKey,
  liveKeyOrNull,
  renameKey,
  restrictKey,
  rollKey,
  sessionAccount,
} from "../operations";
import { holdForOneView, type Reveal, takeReveal } from "../reveal";
import { routes } from "../routes";
import { readForm } from "../ui/form-body";
import { pageContext, renderPage } from "../ui/render";
import { DeleteKeyPage } from "./delete-page";
import {
  type NewKeyValues,
  parseNewKeyForm,
  parseRenameForm,
  parseRestrictionsForm,
  parseRollForm,
  restrictionValuesOf,
} from "./forms";
import { keyCap, parseListQuery, selectKeys } from "./list";
import { ApiKeysPage } from "./list-page";
import { NewKeyPage } from "./new-key-page";
import { RenameKeyPage } from "./rename-page";
import { RestrictionsPage } from "./restrictions-page";
import { RollKeyPage } from "./roll-page";
import { KeyGonePage, KeyShownPage } from "./shown-page";

const PREFIX = /^[a-z0-9]{8}$/;

type Ctx = Context<AppEnv>;

/** The key id of the route, or a 404 before any lookup when it cannot be one. */
function keyIdParam(c: Ctx): string {
  const value = c.req.param("keyId");
  if (!isId("key", value)) throw new ApiError("NOT_FOUND", "Key not found");
  return value;
}

/** A prefix from the query, for a notice; anything else is ignored. */
const prefixParam = (value: string | undefined) => (value && PREFIX.test(value) ? value : undefined);

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

export const apiKeysRouter = new Hono<AppEnv>();

apiKeysRouter.get(routes.apiKeys.pattern, async (c) => {
  const [keys, { account, usage }] = await Promise.all([keysOfAccount(c), accountWithUsage(c)]);
  const query = parseListQuery(c.req.query());
  const cap = keyCap(account, keys, c.var.config.MAX_KEYS_PER_ACCOUNT);
  const page = (
    <ApiKeysPage
      page={pageContext(c)}
      table={{ keys: selectKeys(keys, query), account, config: c.var.config, query }}
      limits={{ account, config: c.var.config, usage, liveKeys: cap.live, maxKeys: cap.maxKeys }}
      total={keys.length}
      done={{
        deleted: prefixParam(c.req.query("deleted")),
        renamed: prefixParam(c.req.query("renamed")),
        restricted: prefixParam(c.req.query("restricted")),
      }}
      capNotice={cap.notice}
    />
  );
  return renderPage(c, page);
});

const EMPTY_FORM: NewKeyValues = {
  name: "",
  expiresOn: "",
  permissions: "full",
  access: {},
  mode: "live",
  allowedIps: "",
  allowedSenderDomains: "",
};

apiKeysRouter.get(routes.newKey.pattern, async (c) => {
  const [account, keys] = await Promise.all([sessionAccount(c), keysOfAccount(c)]);
  const { notice } = keyCap(account, keys, c.var.config.MAX_KEYS_PER_ACCOUNT);
  const resources = c.var.config.DASHBOARD_RESOURCES;
  return renderPage(
    c,
    <NewKeyPage page={pageContext(c)} values={EMPTY_FORM} resources={resources} capNotice={notice} />,
  );
});

apiKeysRouter.post(routes.apiKeys.pattern, async (c) => {
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
    created = await createAccountKey(c, form.input);
  } catch (error) {
    if (isApiError(error, "CONFLICT")) return again(409, error.message);
    throw error;
  }
  return showOnce(c, { keyId: created.row.id, replacesKeyId: null, key: created.key }, created.row);
});

apiKeysRouter.get(routes.keyShown.pattern, async (c) => {
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

apiKeysRouter.get(routes.renameKey.pattern, async (c) => {
  const key = await liveKey(c, keyIdParam(c));
  return renderPage(c, <RenameKeyPage page={pageContext(c)} apiKey={key} name={key.name} />);
});

apiKeysRouter.post(routes.renameKey.pattern, async (c) => {
  const keyId = keyIdParam(c);
  const form = parseRenameForm(await readForm(c));
  if (form.name === null) {
    const key = await liveKey(c, keyId);
    const page = <RenameKeyPage page={pageContext(c)} apiKey={key} name={form.values.name} error={form.errors.name} />;
    return renderPage(c, page, 400);
  }
  const key = await renameKey(c, keyId, form.name);
  return c.redirect(routes.apiKeys.href({ renamed: key.prefix }), 303);
});

apiKeysRouter.get(routes.keyRestrictions.pattern, async (c) => {
  const key = await liveKey(c, keyIdParam(c));
  return renderPage(c, <RestrictionsPage page={pageContext(c)} apiKey={key} values={restrictionValuesOf(key)} />);
});

apiKeysRouter.post(routes.keyRestrictions.pattern, async (c) => {
  const keyId = keyIdParam(c);
  const form = parseRestrictionsForm(await readForm(c));
  if (!form.restrictions) {
    const key = await liveKey(c, keyId);
    const page = <RestrictionsPage page={pageContext(c)} apiKey={key} values={form.values} errors={form.errors} />;
    return renderPage(c, page, 400);
  }
  const key = await restrictKey(c, keyId, form.restrictions);
  return c.redirect(routes.apiKeys.href({ restricted: key.prefix }), 303);
});

apiKeysRouter.get(routes.rollKey.pattern, async (c) => {
  const key = await liveKey(c, keyIdParam(c));
  return renderPage(c, <RollKeyPage page={pageContext(c)} apiKey={key} grace="" />);
});

apiKeysRouter.post(routes.rollKey.pattern, async (c) => {
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
    if (!isApiError(error, "CONFLICT")) throw error;
    const page = (
      <RollKeyPage page={pageContext(c)} apiKey={await liveKey(c, keyId)} grace="" refused={error.message} />
    );
    return renderPage(c, page, 409);
  }
  return showOnce(c, { keyId: created.row.id, replacesKeyId: keyId, key: created.key }, created.row);
});

apiKeysRouter.get(routes.deleteKey.pattern, async (c) => {
  const key = await listedKey(c, keyIdParam(c));
  return renderPage(c, <DeleteKeyPage page={pageContext(c)} apiKey={key} />);
});

apiKeysRouter.post(routes.deleteKey.pattern, async (c) => {
  const key = await listedKey(c, keyIdParam(c));
  await deleteKey(c, key);
  return c.redirect(routes.apiKeys.href({ deleted: key.prefix }), 303);
});
