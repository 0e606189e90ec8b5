/**
 * Settings > Webhooks, for a signed-in user and only over their own account
 * (every call goes through ../operations.ts): the page; saving a URL (the
 * operations' rules decide which URLs are allowed: a refused one comes back,
 * 400, with the reason next to the field, and nothing changes); the new
 * signing secret shown once after a redirect (../reveal.ts), so a reload
 * resets nothing; a test event; and removing the webhook, after a
 * confirmation. Every change is a POST behind the session and its CSRF
 * token, audited as `account.updated` with the user as its actor.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { isId } from "../../ids";
import { logWarning } from "../../log";
import { isApiError } from "../errors";
import { recentDeliveries, sendWebhookTest, sessionAccount, setAccountWebhook } from "../operations";
import { holdSecretForOneView, takeSecretReveal } from "../reveal";
import { routes } from "../routes";
import { readForm } from "../ui/form-body";
import { pageContext, renderPage } from "../ui/render";
import { parseWebhookForm, webhookUrlError } from "./forms";
import { WebhooksPage, type WebhooksPageProps } from "./page";
import { RemoveWebhookPage } from "./remove-page";
import { WebhookSecretGonePage, WebhookSecretPage } from "./secret-page";

type Ctx = Context<AppEnv>;

/** The page, with the form holding `form` (the current URL unless given) and its error. */
async function page(c: Ctx, form: Partial<WebhooksPageProps> = {}, status: 200 | 400 | 409 = 200) {
  const [account, deliveries] = await Promise.all([sessionAccount(c), recentDeliveries(c)]);
  const props = { page: pageContext(c), url: account.webhookUrl, deliveries, value: account.webhookUrl ?? "", ...form };
  return renderPage(c, <WebhooksPage {...props} />, status);
}

export const webhooksRouter = new Hono<AppEnv>();

webhooksRouter.get(routes.webhooks.pattern, (c) => {
  const sent = c.req.query("sent");
  return page(c, {
    done: { sent: isId("evt", sent) ? sent : undefined, removed: "removed" in c.req.query() },
  });
});

webhooksRouter.post(routes.webhooks.pattern, async (c) => {
  const form = parseWebhookForm(await readForm(c));
  if (!form.url) return page(c, { value: form.value, error: form.error ?? undefined }, 400);
  let saved: Awaited<ReturnType<typeof setAccountWebhook>>;
  try {
    saved = await setAccountWebhook(c, form.url);
  } catch (error) {
    if (isApiError(error, "BAD_REQUEST")) {
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

webhooksRouter.get(routes.webhookSecret.pattern, async (c) => {
  // Only a real view takes the secret: a HEAD (a link checker, a prefetch) must not use it up.
  if (c.req.method === "HEAD") return c.body(null, 200);
  const secret = await takeSecretReveal(c, c.req.param("revealId"));
  if (!secret) return renderPage(c, <WebhookSecretGonePage page={pageContext(c)} />, 410);
  const account = await sessionAccount(c);
  return renderPage(c, <WebhookSecretPage page={pageContext(c)} secret={secret} url={account.webhookUrl} />);
});

webhooksRouter.post(routes.webhookTest.pattern, async (c) => {
  try {
    const event = await sendWebhookTest(c);
    return c.redirect(routes.webhooks.href({ sent: event.id }), 303);
  } catch (error) {
    if (isApiError(error, "CONFLICT")) return page(c, { refused: error.message }, 409);
    throw error;
  }
});

webhooksRouter.get(routes.removeWebhook.pattern, async (c) => {
  const account = await sessionAccount(c);
  if (!account.webhookUrl) return c.redirect(routes.webhooks.href(), 303);
  return renderPage(c, <RemoveWebhookPage page={pageContext(c)} url={account.webhookUrl} />);
});

webhooksRouter.post(routes.removeWebhook.pattern, async (c) => {
  const account = await sessionAccount(c);
  // Nothing to remove (an old tab): no change, so no audit entry.
  if (account.webhookUrl) await setAccountWebhook(c, null);
  return c.redirect(routes.webhooks.href({ removed: true }), 303);
});
