/**
 * Settings and Settings > API Keys, for a signed-in user and only over their
 * own account's keys: the list, the "Create New Key" form and its answer
 * (the full key, shown once), and deletion with a confirmation step. Keys
 * are created, listed and revoked through src/operations/keys.ts, so a deleted
 * key is refused everywhere from the moment the deletion answers. A key id
 * of another account is a 404, exactly like one that does not exist.
 */

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../app-env";
import { byUser } from "../audit/context";
import { createKey, getLiveKey, listKeys, revokeKey } from "../operations/keys";
import { readForm } from "./csrf";
import { parseNewKeyForm } from "./forms";
import { requireFormToken, requireSession } from "./guard";
import { ApiKeysPage } from "./pages/api-keys";
import { DeleteKeyPage } from "./pages/delete-key";
import { KeyCreatedPage } from "./pages/key-created";
import { NewKeyPage } from "./pages/new-key";
import { SettingsPage } from "./pages/settings";
import { pageContext, renderPage } from "./render";

const KEYS_PATH = "/dashboard/settings/api-keys";
const KEY_ID = /^key_[A-Za-z0-9]{20}$/;
const PREFIX = /^[a-z0-9]{8}$/;

/** The key id of the route, or a 404 before any lookup when it cannot be one. */
function keyIdParam(value: string): string {
  if (!KEY_ID.test(value)) throw new HTTPException(404);
  return value;
}

export const settingsRoutes = new Hono<AppEnv>();

settingsRoutes.use(requireSession(), requireFormToken());

settingsRoutes.get("/", (c) => renderPage(c, <SettingsPage page={pageContext(c)} />));

settingsRoutes.get("/api-keys", async (c) => {
  const keys = await listKeys(c.env, c.var.session.accountId);
  const deleted = c.req.query("deleted");
  const page = (
    <ApiKeysPage
      page={pageContext(c)}
      keys={keys}
      deletedPrefix={deleted && PREFIX.test(deleted) ? deleted : undefined}
    />
  );
  return renderPage(c, page);
});

settingsRoutes.get("/api-keys/new", (c) =>
  renderPage(c, <NewKeyPage page={pageContext(c)} values={{ name: "", expiresOn: "" }} />),
);

settingsRoutes.post("/api-keys", async (c) => {
  const form = parseNewKeyForm(await readForm(c));
  if (!form.input) {
    return renderPage(c, <NewKeyPage page={pageContext(c)} values={form.values} errors={form.errors} />, 400);
  }
  const { row, key } = await createKey(c.env, c.var.config, c.var.session.accountId, form.input, byUser(c));
  return renderPage(c, <KeyCreatedPage page={pageContext(c)} apiKey={row} secretKey={key} />, 201);
});

settingsRoutes.get("/api-keys/:keyId/delete", async (c) => {
  const key = await getLiveKey(c.env, c.var.session.accountId, keyIdParam(c.req.param("keyId")));
  return renderPage(c, <DeleteKeyPage page={pageContext(c)} apiKey={key} />);
});

settingsRoutes.post("/api-keys/:keyId/delete", async (c) => {
  const { accountId } = c.var.session;
  const key = await getLiveKey(c.env, accountId, keyIdParam(c.req.param("keyId")));
  await revokeKey(c.env, accountId, key.id, byUser(c));
  return c.redirect(`${KEYS_PATH}?deleted=${key.prefix}`, 303);
});
