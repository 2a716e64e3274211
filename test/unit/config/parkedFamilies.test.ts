/**
 * The parked refusal loops over the registry (issue 13): no optional family key can be set on a
 * parked domain, whether the family publishes parked records instead (SPF, DKIM, DMARC) or none at all
 * (a family about receiving or sending mail), which was silently dropped before.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { ConfigError, validateStack } from "../../../components/config";
import { dkim } from "../../../components/sections/dkim";
import { dmarc } from "../../../components/sections/dmarc";
import { dns } from "../../../components/sections/dns";
import { spf } from "../../../components/sections/spf";
import type { AnySection } from "../../../components/sections/types";

/** A family with records of its own and none for a parked domain. */
const mailOnly: AnySection = {
  key: "mailOnly",
  title: "Mail-only",
  required: false,
  schema: z.strictObject({ on: z.boolean() }),
  allowed: { "": "an object with on", on: "true or false" },
  model: (parsed) => parsed,
  records: ({ domain, dns: { ttl } }) => ({
    records: [{ id: "m", name: `_m.${domain}`, type: "TXT", ttl, value: "m", purpose: "spf", path: ["mailOnly"] }],
  }),
};

const SECTIONS = [spf, dns, dkim, dmarc, mailOnly];
const base = { domain: "example.com", dns: { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" } };

function problems(raw: Record<string, unknown>): string[] {
  try {
    validateStack("test", raw, new Date("2026-12-01T00:00:00Z"), SECTIONS);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message.split("\n");
  }
}

describe("a family without parked records on a parked domain", () => {
  it("is refused with the reason, beside the families that publish their own parked records", () => {
    assert.deepEqual(problems({ ...base, parked: true, dmarc: { policy: "none" }, mailOnly: { on: true } }), [
      "stack test: sender-auth:dmarc: is not allowed together with sender-auth:parked: true (a parked domain publishes its own SPF, DKIM and DMARC records); remove it or set parked: false",
      "stack test: sender-auth:mailOnly: is not allowed together with sender-auth:parked: true (a parked domain sends and receives no mail, so it publishes no Mail-only record); remove it or set parked: false",
    ]);
  });

  it("publishes its records when the domain is not parked, and nothing of its own when parked without it", () => {
    const names = (raw: Record<string, unknown>): string[] =>
      validateStack("test", raw, new Date("2026-12-01T00:00:00Z"), SECTIONS).records.map((r) => r.name);
    assert.deepEqual(names({ ...base, mailOnly: { on: true } }), ["_m.example.com"]);
    assert.deepEqual(names({ ...base, parked: true }), [
      "example.com",
      "example.com",
      "*._domainkey.example.com",
      "_dmarc.example.com",
    ]);
  });
});
