/**
 * The scope rules (src/keys/scopes.ts, CONTRACT §1) for every resource and
 * method, in Node: what a request needs, and what a key's scopes allow.
 * Scopes at the edge, through the gateway, are test/data-plane/scopes.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allows, READ_ONLY, requiredScope, SCOPE_PATTERN, WILDCARD } from "../../src/keys/scopes";

/** A resource as routes match it (routes.ts): ASCII lowercase. */
const resource = fc.stringMatching(/^[a-z0-9_-]{1,64}$/);
/** A scope's resource name as a key may hold it: any ASCII case. */
const spelled = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));
/** Not a resource name: empty, too long, or with a character outside [A-Za-z0-9_-]. */
const notResource = fc.oneof(
  fc.constant(""),
  fc.stringMatching(/^[a-z]{65,80}$/),
  fc.tuple(resource, fc.constantFrom(".", "%", ":", "*", " ", "é", "/")).map(([name, odd]) => `${name}${odd}`),
);
const readMethod = fc.constantFrom("GET", "HEAD");
const writeMethod = fc.constantFrom("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND");

describe("requiredScope, for every resource", () => {
  it("needs {resource}:read for GET and HEAD and {resource}:write for any other method, always a valid scope", () => {
    fc.assert(
      fc.property(resource, readMethod, writeMethod, (name, read, write) => {
        expect(requiredScope(read, name)).toBe(`${name}:read`);
        expect(requiredScope(write, name)).toBe(`${name}:write`);
        expect(requiredScope(read, name)).toMatch(SCOPE_PATTERN);
      }),
    );
  });

  it("needs the full-access scope for anything that is not a resource name", () => {
    fc.assert(
      fc.property(notResource, fc.oneof(readMethod, writeMethod), (name, method) => {
        expect(requiredScope(method, name)).toBe(WILDCARD);
      }),
    );
  });
});

describe("allows, for every resource", () => {
  it("lets * do anything, and nothing but * reach a path without a resource", () => {
    fc.assert(
      fc.property(resource, fc.constantFrom("read", "write"), (name, access) => {
        expect(allows([WILDCARD], `${name}:${access}`)).toBe(true);
        expect(allows([WILDCARD], WILDCARD)).toBe(true);
        expect(allows([READ_ONLY, `${name}:read`, `${name}:write`], WILDCARD)).toBe(false);
      }),
    );
  });

  it("lets {resource}:write, held in any case, read and write that resource and no other", () => {
    fc.assert(
      fc.property(
        resource.chain((own) => fc.tuple(fc.constant(own), spelled(own))),
        resource,
        ([own, held], other) => {
          fc.pre(own !== other);
          expect(allows([`${held}:write`], `${own}:write`)).toBe(true);
          expect(allows([`${held}:write`], `${own}:read`)).toBe(true);
          expect(allows([`${held}:write`], `${other}:read`)).toBe(false);
          expect(allows([`${held}:write`], `${other}:write`)).toBe(false);
        },
      ),
    );
  });

  it("lets {resource}:read and *:read read, never write", () => {
    fc.assert(
      fc.property(resource, (name) => {
        expect(allows([`${name}:read`], `${name}:read`)).toBe(true);
        expect(allows([`${name}:read`], `${name}:write`)).toBe(false);
        expect(allows([READ_ONLY], `${name}:read`)).toBe(true);
        expect(allows([READ_ONLY], `${name}:write`)).toBe(false);
      }),
    );
  });
});
