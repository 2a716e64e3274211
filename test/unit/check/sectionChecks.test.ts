/**
 * `check` loops over the registry (issue 13): after the managed records, each family's live checks
 * come from its section's `check()`, in registry order; a family's `beside()` reports what is served
 * beside one of its records; a section without a check adds nothing. In process, through the
 * DnsClient seam (test/support/memoryDns.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { checkStack, type CheckContext, type Finding } from "../../../cli/check/checks";
import { SECTIONS } from "../../../components/sections";
import { dkim } from "../../../components/sections/dkim";
import { dmarc } from "../../../components/sections/dmarc";
import { dns } from "../../../components/sections/dns";
import { spf } from "../../../components/sections/spf";
import type { AnySection } from "../../../components/sections/types";
import { hostileStack, hostileStackZone } from "../../support/hostileDnsStack";
import { memoryDns } from "../../support/memoryDns";

const DOMAIN = "example.test";
const STACK = hostileStack(DOMAIN);

/** `code subject` of every finding. */
const codes = (findings: readonly Finding[]): string[] => findings.map((f) => `${f.code} ${f.subject}`);

async function check(sections?: readonly AnySection[]): Promise<Finding[]> {
  const context: CheckContext = {
    resolver: { host: "192.0.2.53", port: 53 },
    queryOptions: {},
    privateKeys: new Map(),
    dns: memoryDns(hostileStackZone([STACK])),
    now: () => new Date("2026-12-01T12:00:00Z"),
  };
  return checkStack(context, STACK.config, STACK.records, ...(sections === undefined ? [] : [sections]));
}

const RECORDS = [`record-ok ${DOMAIN}`, `record-ok s1._domainkey.${DOMAIN}`, `record-ok _dmarc.${DOMAIN}`];
const SPF = ["spf-lookups spf", "spf-void-lookups spf", "spf-size spf"];
const DKIM = ["dkim-ok dkim s1"];
const DMARC = ["dmarc-policy dmarc"];

/** A family that asks DNS one question of its own and reports on what is served beside the SPF record. */
const extra: AnySection = {
  key: "extra",
  title: "Extra",
  required: false,
  schema: z.strictObject({}),
  allowed: {},
  model: () => ({}),
  check: () => ({
    async check(context, config) {
      const answer = await context.ask(context.resolver, `_extra.${config.domain}`, "TXT", context.queryOptions);
      return [{ code: "extra-asked", result: "ok", subject: "extra", message: answer.rcode }];
    },
    beside: (_context, _config, record, served, base) =>
      record.purpose === "spf" ? [{ ...base, code: "extra-beside", result: "warn", message: served.join(" ") }] : [],
  }),
};

describe("check loops over the registry's sections", () => {
  it("the registry's families, in its order (SPF, DNS without checks, DKIM, DMARC, MTA-STS, TLS-RPT and BIMI: none set here)", async () => {
    assert.deepEqual(
      SECTIONS.map((s) => s.key),
      ["spf", "dns", "dkim", "dmarc", "mtaSts", "tlsRpt", "bimi"],
    );
    assert.deepEqual(codes(await check()), [...RECORDS, ...SPF, ...DKIM, ...DMARC]);
  });

  it("another order of sections gives the families' findings in that order", async () => {
    assert.deepEqual(codes(await check([dmarc, dkim, dns, spf])), [...RECORDS, ...DMARC, ...DKIM, ...SPF]);
  });

  it("a family left out of the list is not checked live; its records are still compared", async () => {
    assert.deepEqual(codes(await check([spf, dns, dkim])), [...RECORDS, ...SPF, ...DKIM]);
  });

  it("a new family's check() and beside() run with no change to check itself", async () => {
    const findings = await check([...SECTIONS, extra]);
    assert.deepEqual(codes(findings), [
      `extra-beside ${DOMAIN}`,
      ...RECORDS,
      ...SPF,
      ...DKIM,
      ...DMARC,
      "extra-asked extra",
    ]);
    assert.equal(findings.at(-1)?.message, "NXDOMAIN");
    assert.match(findings[0]?.message ?? "", /^v=spf1 /);
  });
});
