/**
 * The webhook URL rule against an attacker's spellings (CONTRACT §7, issue
 * 23 item 6): a fully qualified name's trailing dot, and IPv6 addresses that
 * embed an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo), each judged by
 * the IPv4 it reaches; and through the admin API, where nothing is stored.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { webhookUrlProblem } from "../../src/webhooks/url";
import { admin, createAccount, errorOf } from "../support/helpers";

const PRIVATE = /private, loopback or reserved/;

/** The IPv4 `a.b.c.d` as two hex groups (`7f00:1`). */
const groups = (v4: string) => {
  const [a = 0, b = 0, c = 0, d = 0] = v4.split(".").map(Number);
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
};
/** Teredo's client field: the IPv4 with every bit inverted. */
const inverted = (v4: string) =>
  groups(
    v4
      .split(".")
      .map((octet) => 255 - Number(octet))
      .join("."),
  );

const RESERVED_V4 = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.1.1", "172.16.0.1", "100.64.0.1", "0.0.0.0"];
const PUBLIC_V4 = "8.8.8.8";

describe("names with a trailing dot", () => {
  it.each([
    "https://metadata.google.internal./computeMetadata/v1/",
    "https://localhost./hooks",
    "https://localhost../hooks",
    "https://printer.local./",
    "https://db.corp./",
    "https://router.home.arpa./",
    "https://intranet./",
    "https://api.localhost./",
  ])("refuses %s as its dotless form is refused", (url) => {
    expect(webhookUrlProblem(url, false)).toBe("must name a public host");
  });

  it("refuses an IPv4 literal with a trailing dot, and keeps a public name's trailing dot public", () => {
    expect(webhookUrlProblem("https://127.0.0.1./", false)).toMatch(PRIVATE);
    expect(webhookUrlProblem("https://hooks.acme.test./momail", false)).toBeNull();
  });
});

describe("IPv6 addresses that embed an IPv4 address", () => {
  const forms = (v4: string) => ({
    mapped: `::ffff:${v4}`,
    "mapped, hex": `::ffff:${groups(v4)}`,
    compatible: `::${v4}`,
    NAT64: `64:ff9b::${v4}`,
    "6to4": `2002:${groups(v4)}::1`,
    "Teredo (client)": `2001:0:${groups(PUBLIC_V4)}:0:0:${inverted(v4)}`,
    "Teredo (server)": `2001:0:${groups(v4)}:0:0:${inverted(PUBLIC_V4)}`,
  });

  for (const v4 of RESERVED_V4) {
    it.each(Object.entries(forms(v4)))(`refuses ${v4} written as %s (%s)`, (_, v6) => {
      expect(webhookUrlProblem(`https://[${v6}]/hook`, false), v6).toMatch(PRIVATE);
    });
  }

  it.each(Object.entries(forms(PUBLIC_V4)).filter(([form]) => form !== "compatible"))(
    "allows a public IPv4 written as %s (%s)",
    (_, v6) => {
      expect(webhookUrlProblem(`https://[${v6}]/hook`, false), v6).toBeNull();
    },
  );

  it("refuses the rest of NAT64's prefix, its local-use /48 included, whatever the last 32 bits", () => {
    for (const v6 of ["64:ff9b:1::808:808", "64:ff9b:1:abcd::808:808", "64:ff9b:0:0:1::808:808"]) {
      expect(webhookUrlProblem(`https://[${v6}]/`, false), v6).toMatch(PRIVATE);
    }
  });

  it("refuses :: and ::1, and keeps ordinary public IPv6 allowed", () => {
    expect(webhookUrlProblem("https://[::]/", false)).toMatch(PRIVATE);
    expect(webhookUrlProblem("https://[::1]/", false)).toMatch(PRIVATE);
    expect(webhookUrlProblem("https://[2606:4700::1111]/", false)).toBeNull();
  });
});

describe("PATCH /admin/accounts/{id} with such a URL", () => {
  it.each([
    "https://metadata.google.internal./",
    "https://[::ffff:169.254.169.254]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[2002:a9fe:a9fe::]/",
    "https://[2001:0:808:808::5601:5601]/",
  ])("answers 400 naming webhookUrl for %s, and stores nothing", async (url) => {
    const account = await createAccount();
    const response = await admin("PATCH", `/accounts/${account.id}`, { webhookUrl: url });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(/^webhookUrl: /);
    const row = await env.DB.prepare("SELECT webhook_url FROM accounts WHERE id = ?")
      .bind(account.id)
      .first<{ webhook_url: string | null }>();
    expect(row?.webhook_url).toBeNull();
  });
});
