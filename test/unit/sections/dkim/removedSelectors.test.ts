/**
 * `sender-auth:dkim.removedSelectors` (issue #11): the names of selectors removed from config, which
 * are never bound to another key; validation refuses a configured selector that reuses one.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, validateStack } from "../../../../components/config";
import { fixtureKey } from "../../../support/fixtures";

const dns = { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" };
const NOW = new Date("2026-11-28T12:00:00Z");
const rsa = fixtureKey("rsa-2048");
const rsaB = fixtureKey("rsa-2048-b");

function problems(dkim: Record<string, unknown>): string[] {
  try {
    validateStack("test", { domain: "example.com", dns, dkim }, NOW);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message.split("\n");
  }
}

describe("sender-auth:dkim.removedSelectors", () => {
  it("accepts removed names beside selectors with other names; they publish nothing", () => {
    const dkim = {
      selectors: { s202611b: { status: "active", publicKey: rsa.publicKey } },
      removedSelectors: { s202611a: "2026-11-20", "mail.old": "2026-01-02" },
    };
    assert.deepEqual(problems(dkim), []);
    const { records } = validateStack("test", { domain: "example.com", dns, dkim }, NOW);
    assert.deepEqual(
      records.filter((r) => r.purpose === "dkim").map((r) => r.name),
      ["s202611b._domainkey.example.com"],
    );
  });

  it("refuses a selector that reuses a removed name, naming both", () => {
    assert.deepEqual(
      problems({
        selectors: {
          s202611a: { status: "published", publicKey: rsaB.publicKey },
          s202611b: { status: "active", publicKey: rsa.publicKey },
        },
        removedSelectors: { s202611a: "2026-11-20" },
      }),
      [
        'stack test: sender-auth:dkim.selectors.s202611a: reuses the name of a selector removed on "2026-11-20" (sender-auth:dkim.removedSelectors); a selector name is never bound to another key, since receivers\' caches and old signatures still refer to the old one (RFC 6376 §3.1); allowed: a selector name not listed in sender-auth:dkim.removedSelectors',
      ],
    );
  });

  it("refuses a removed name that is no selector name, and a date that is not a date", () => {
    assert.deepEqual(
      problems({
        selectors: { s202611b: { status: "active", publicKey: rsa.publicKey } },
        removedSelectors: { Bad_Name: "2026-11-20", s202611a: "yesterday" },
      }),
      [
        'stack test: sender-auth:dkim.removedSelectors.s202611a: is not an ISO 8601 date (got "yesterday"); allowed: an ISO 8601 date such as 2026-11-28',
        'stack test: sender-auth:dkim.removedSelectors.Bad_Name: selector name must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1) (got "Bad_Name"); allowed: DNS labels of lower-case letters, digits and hyphens, e.g. s202611a',
      ],
    );
  });
});
