/**
 * Settings > Webhooks, for a signed-in user and only over their own account
 * (every call goes through actions.ts): the page; saving a URL (the
 * operations' rules decide which URLs are allowed: a refused one comes back,
 * 400, with the reason next to the field, and nothing changes); the new
 * signing secret shown once after a redirect (reveal.ts), so a reload
 * resets nothing; a test event; and removing the webhook, after a
 * confirmation. Every change is a POST behind the session and its CSRF
 * token, audited as `account.updated` with the user as its actor.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { logWarning } from "../log";
import { recentDeliveries, sendWebhookTest, sessionAccount, setAccountWebhook } from "./actions";
import { readForm } from "./csrf";
import { parseWebhookForm, webhookUrlError } from "./forms";
import { WebhookSecretGonePage, WebhookSecretPage } from "./pages/webhook-secret";
import { RemoveWebhookPage, WEBHOOKS_PATH, WebhooksPage, type WebhooksPageProps } from "./pages/webhooks";
import { pageContext, renderPage } from "./render";
import { holdSecretForOneView, takeSecretReveal } from "./reveal";

type Ctx = Context<AppEnv>;
const EVENT_ID = /^evt_[A-Za-z0-9]{20}$/;

/** The page, with the form holding `form` (the current URL unless given) and its error. */
async function page(c: Ctx, form: Partial<WebhooksPageProps> = {}, status: 200 | 400 | 409 = 200) {
  const [account, deliveries] = await Promise.all([sessionAccount(c), recentDeliveries(c)]);
  const props = { page: pageContext(c), url: account.webhookUrl, deliveries, value: account.webhookUrl ?? "", ...form };
  return renderPage(c, <WebhooksPage {...props} />, status);
}

export const webhookRoutes = new Hono<AppEnv>();

webhookRoutes.get("/", (c) => {
  const sent = c.req.query("sent");
  return page(c, {
    done: { sent: sent && EVENT_ID.test(sent) ? sent : undefined, removed: "removed" in c.req.query() },
  });
});

webhookRoutes.post("/", async (c) => {
  const form = parseWebhookForm(await readForm(c));
  if (!form.url) return page(c, { value: form.value, error: form.error ?? undefined }, 400);
  let saved: Awaited<ReturnType<typeof setAccountWebhook>>;
  try {
    saved = await setAccountWebhook(c, form.url);
  } catch (error) {
    if (error instanceof ApiError && error.code === "BAD_REQUEST") {
      return page(c, { value: form.value, error: webhookUrlError(error.message) }, 400);
    }
    throw error;
  }
  const secret = saved.webhookSecret as string;
  try {
    return c.redirect(await holdSecretForOneView(c, secret), 303);
  } catch (error) {
    // The URL and its secret are set already: show the secret in this answer rather than lose it.
    logWarning("dashboard: could not hold a webhook secret for one view; shown in the POST's answer", {
      error: String(error),
    });
    return renderPage(c, <WebhookSecretPage page={pageContext(c)} secret={secret} url={form.url} />, 201);
  }
});

webhookRoutes.get("/secret/:revealId", async (c) => {
  // Only a real view takes the secret: a HEAD (a link checker, a prefetch) must not use it up.
  if (c.req.method === "HEAD") return c.body(null, 200);
  const secret = await takeSecretReveal(c, c.req.param("revealId"));
  if (!secret) return renderPage(c, <WebhookSecretGonePage page={pageContext(c)} />, 410);
  const account = await sessionAccount(c);
  return renderPage(c, <WebhookSecretPage page={pageContext(c)} secret={secret} url={account.webhookUrl} />);
});

webhookRoutes.post("/test", async (c) => {
  try {
    const event = await sendWebhookTest(c);
    return c.redirect(`${WEBHOOKS_PATH}?sent=${event.id}`, 303);
  } catch (error) {
    if (error instanceof ApiError && error.code === "CONFLICT") return page(c, { refused: error.message }, 409);
    throw error;
  }
});

webhookRoutes.get("/remove", async (c) => {
  const account = await sessionAccount(c);
  if (!account.webhookUrl) return c.redirect(WEBHOOKS_PATH, 303);
  return renderPage(c, <RemoveWebhookPage page={pageContext(c)} url={account.webhookUrl} />);
});

webhookRoutes.post("/remove", async (c) => {
  const account = await sessionAccount(c);
  // Nothing to remove (an old tab): no change, so no audit entry.
  if (account.webhookUrl) await setAccountWebhook(c, null);
  return c.redirect(`${WEBHOOKS_PATH}?removed`, 303);
});
