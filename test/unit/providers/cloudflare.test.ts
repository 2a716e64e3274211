import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateStack } from "../../../components/config";
import type { DnsRecord } from "../../../components/model";
import { cloudflare, cloudflareContent, cloudflareRecordInputs } from "../../../components/providers/cloudflare";
import { parseCharacterStrings } from "../../../components/records/txt";
import { fixtureKey } from "../../support/fixtures";

const txt = (value: string): DnsRecord => ({
  id: "x",
  name: "s1._domainkey.example.com",
  type: "TXT",
  ttl: 3600,
  value,
  purpose: "dkim",
  selector: "s1",
  path: ["dkim", "selectors", "s1", "publicKey"],
});

describe("cloudflareContent (Cloudflare's API schema; terraform-provider-cloudflare#6238)", () => {
  const cases: [string, string, number][] = [
    ["a short SPF record", "v=spf1 -all", 1],
    ["a 2048-bit DKIM record", `v=DKIM1; k=rsa; p=${fixtureKey("rsa-2048").publicKey}`, 2],
    ["a 4096-bit DKIM record", `v=DKIM1; k=rsa; p=${fixtureKey("rsa-4096").publicKey}`, 3],
  ];
  for (const [name, value, strings] of cases) {
    it(`quotes ${name} as ${strings} character-string(s) of at most 255 octets, one space apart`, () => {
      const content = cloudflareContent(txt(value));
      assert.ok(
        content.startsWith('"') && content.endsWith('"'),
        "content must be quoted (the dashboard warns about unquoted TXT content)",
      );
      const chunks = parseCharacterStrings(content);
      assert.equal(chunks.length, strings);
      assert.ok(chunks.every((chunk) => chunk.length >= 1 && chunk.length <= 255));
      assert.equal(chunks.join(""), value);
      // Exactly the 255-octet greedy boundaries Cloudflare re-splits at (terraform-provider-cloudflare#6238), one space between.
      assert.equal(content, chunks.map((chunk) => `"${chunk}"`).join(" "));
      assert.ok(chunks.slice(0, -1).every((chunk) => chunk.length === 255));
    });
  }
  it("writes the exact two-string form for a 2048-bit key", () => {
    const value = `v=DKIM1; k=rsa; p=${fixtureKey("rsa-2048").publicKey}`;
    assert.equal(cloudflareContent(txt(value)), `"${value.slice(0, 255)}" "${value.slice(255)}"`);
  });
});

describe("cloudflareRecordInputs", () => {
  it("gives a TXT record no proxied flag (Cloudflare DNS FAQ: only A, AAAA and CNAME can be proxied)", () => {
    assert.deepEqual(
      cloudflareRecordInputs(
        { id: "spf", name: "example.com", type: "TXT", ttl: 300, value: "v=spf1 -all", purpose: "spf", path: ["spf"] },
        "zone",
      ),
      {
        zoneId: "zone",
        name: "example.com",
        type: "TXT",
        ttl: 300,
        content: '"v=spf1 -all"',
        comment: "sender-auth spf",
      },
    );
  });
  it("never proxies a CNAME selector, so the provider's key record is what resolves", () => {
    assert.deepEqual(
      cloudflareRecordInputs(
        {
          id: "dkim-s1",
          name: "s1._domainkey.example.com",
          type: "CNAME",
          ttl: 3600,
          value: "s1.esp.example.net",
          purpose: "dkim",
          selector: "s1",
          path: ["dkim", "selectors", "s1", "publicKey"],
        },
        "zone",
      ),
      {
        zoneId: "zone",
        name: "s1._domainkey.example.com",
        type: "CNAME",
        ttl: 3600,
        content: "s1.esp.example.net",
        proxied: false,
        comment: "sender-auth dkim",
      },
    );
  });
  it("writes a null MX as priority 0 and content . (RFC 7505)", () => {
    assert.deepEqual(
      cloudflareRecordInputs(
        { id: "mx", name: "example.com", type: "MX", ttl: 3600, value: "0 .", purpose: "mx", path: ["parked"] },
        "zone",
      ),
      {
        zoneId: "zone",
        name: "example.com",
        type: "MX",
        ttl: 3600,
        content: ".",
        priority: 0,
        comment: "sender-auth mx",
      },
    );
  });
});

describe("cloudflare.configProblems and audit", () => {
  const dns = {
    provider: "cloudflare" as const,
    zoneId: "023e105f4ecef8ad9ca31a8372d0c353",
    ttl: 3600,
    preserveTxt: [],
  };
  it("accepts TTL 1 (automatic), 30 (Enterprise) and 60–86400", () => {
    for (const ttl of [1, 30, 60, 86400]) assert.deepEqual(cloudflare.configProblems({ ...dns, ttl }), []);
  });
  it("refuses TTL 0, 2, 29 and 86401", () => {
    for (const ttl of [0, 2, 29, 86401]) {
      assert.deepEqual(cloudflare.configProblems({ ...dns, ttl }), [
        { path: ["dns", "ttl"], message: "is outside what Cloudflare accepts", value: ttl },
      ]);
    }
  });
  it("refuses a zone ID that is not 32 lower-case hex characters", () => {
    assert.equal(cloudflare.configProblems({ ...dns, zoneId: "023E105F4ECEF8AD9CA31A8372D0C353" }).length, 1);
  });
  it("warns past the 200 records a Free zone holds, not at 200", () => {
    const authorized = (count: number): string[] => Array.from({ length: count }, (_, i) => `c${i}.example.net`);
    const warningsFor = (count: number): readonly string[] =>
      validateStack("t", {
        domain: "example.com",
        dns,
        dmarc: { policy: "none", authorizeReportsFor: authorized(count) },
      }).warnings.filter((w) => w.includes("Free zone"));
    // The DMARC record plus one authorisation record per domain.
    assert.deepEqual(warningsFor(199), []);
    assert.deepEqual(warningsFor(200), [
      "sender-auth:dns.zoneId: this stack creates 201 records in the zone; a Cloudflare Free zone holds at most 200 records of any kind (1,000 if created before 2024-09-01, 3,500 on paid plans), and creating more fails",
    ]);
  });
  it("refuses more than 8,192 characters of TXT at the apex, preserved values included (Cloudflare docs, DNS record types: TXT)", () => {
    const { config, records } = validateStack("t", { domain: "example.com", dns, spf: {} });
    const preserveTxt = Array.from({ length: 9 }, (_, i) => `token${i}=${"x".repeat(1000)}`);
    // validateStack runs this audit itself; call it directly to see the problem it reports.
    assert.deepEqual(cloudflare.audit({ ...config, dns: { ...config.dns, preserveTxt } }, records).problems, [
      {
        path: ["dns", "preserveTxt"],
        message: "brings the TXT records at example.com to 9175 characters of content",
        allowed: "at most 8192 characters for all TXT records of one name on Cloudflare",
      },
    ]);
  });
});
