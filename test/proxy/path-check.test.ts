import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors";
import { assertSafePath } from "../../src/proxy/path";

const refusal = (pathname: string) => {
  try {
    assertSafePath(pathname);
    return null;
  } catch (error) {
    return error;
  }
};

describe("assertSafePath", () => {
  it.each([
    "/v1/domains/..;/messages",
    "/v1/domains/.;/messages",
    "/v1/domains;a=b",
    "/v1/domains/%3B",
    "/v1/domains/..",
    "/v1/domains/./x",
    "/v1/domains/%2e%2E",
    "/v1/domains/%252e%252e",
    "/v1/domains/%25252E%25252E",
    "/v1/domains/%2525252e",
    "/v1/domains/%c0%ae%c0%ae",
    "/v1/domains/%C1%9C",
    "/v1/domains/%e0%80%ae",
    "/v1/domains/%f0%80%80%ae",
    "/v1/domains/a%2fb",
    "/v1/domains/a%5cb",
    "/v1/domains/a\\b",
    "/v1//domains",
    "/v1/domains/a%00b",
    "/v1/domains/a%2500b",
  ])("refuses %s with 400 BAD_REQUEST naming the path", (pathname) => {
    const error = refusal(pathname);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^path: /) });
  });

  it.each([
    "/v1/domains",
    "/v1/domains/example.com",
    "/v1/domains/b%C3%BCcher.de",
    "/v1/domains/100%25",
    "/v1/x/..a/b..",
  ])("accepts %s", (pathname) => {
    expect(refusal(pathname)).toBeNull();
  });
});
