import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateStack } from "../../../components/config";
import { route53, route53Element, route53RecordSets } from "../../../components/providers/route53";
import { parseCharacterStrings } from "../../../components/records/txt";
import { fixtureKey } from "../../support/fixtures";

/** What the provider sends for one element: the element wrapped in one pair of quotes (terraform-provider-aws flex.go). */
const asSent = (element: string): string[] => parseCharacterStrings(`"${element}"`);

describe(`route53Element (one element per value, unquoted, split with "")`, () => {
  it("leaves a short value unquoted", () => {
    assert.equal(route53Element("TXT", "v=spf1 -all"), "v=spf1 -all");
  });
  for (const [name, fixture, strings] of [
    ["2048-bit", "rsa-2048", 2],
    ["4096-bit", "rsa-4096", 3],
  ] as const) {
    it(`inserts "" at every 255-octet boundary of a ${name} DKIM record`, () => {
      const value = `v=DKIM1; k=rsa; p=${fixtureKey(fixture).publicKey}`;
      const element = route53Element("TXT", value);
      assert.ok(
        !element.startsWith('"') && !element.endsWith('"'),
        "never pre-quoted (terraform-provider-aws flex.go)",
      );
      assert.equal(element.split('""').length, strings);
      const chunks = asSent(element);
      assert.equal(chunks.length, strings);
      assert.ok(chunks.every((chunk) => chunk.length <= 255));
      assert.equal(chunks.join(""), value);
    });
  }
  it("passes CNAME and MX values through", () => {
    assert.equal(route53Element("CNAME", "s1.esp.example.net"), "s1.esp.example.net");
    assert.equal(route53Element("MX", "0 ."), "0 .");
  });
});

describe("route53RecordSets (Route 53 Developer Guide, TXT record type)", () => {
  const dns = {
    provider: "route53",
    zoneId: "Z0123456789ABCDEFGHIJ",
    preserveTxt: ["MS=ms1", "google-site-verification=abc"],
  };
  it("puts SPF and every preserveTxt value in ONE apex record set, marked shared", () => {
    const { config, records } = validateStack("t", {
      domain: "example.org",
      dns,
      spf: { ip4: ["192.0.2.1"] },
      dmarc: { policy: "none", rua: ["mailto:d@example.org"] },
    });
    const sets = route53RecordSets(config.domain, records, config.dns.preserveTxt);
    assert.deepEqual(sets, [
      {
        id: "spf",
        name: "example.org",
        type: "TXT",
        ttl: 3600,
        records: ["v=spf1 ip4:192.0.2.1 ~all", "MS=ms1", "google-site-verification=abc"],
        shared: true,
      },
      {
        id: "dmarc",
        name: "_dmarc.example.org",
        type: "TXT",
        ttl: 3600,
        records: ["v=DMARC1; p=none; rua=mailto:d@example.org"],
        shared: false,
      },
    ]);
    assert.equal(sets[0]?.records.filter((value) => value.startsWith("v=spf1")).length, 1);
  });
  it("keeps the parked null MX in its own set beside the apex TXT set", () => {
    const { config, records } = validateStack("t", { domain: "example.org", dns, parked: true });
    const sets = route53RecordSets(config.domain, records, config.dns.preserveTxt);
    assert.deepEqual(
      sets.map((set) => [set.id, set.name, set.type, set.records, set.shared]),
      [
        ["spf", "example.org", "TXT", ["v=spf1 -all", "MS=ms1", "google-site-verification=abc"], true],
        ["mx", "example.org", "MX", ["0 ."], false],
        ["dkim-wildcard", "*._domainkey.example.org", "TXT", ["v=DKIM1; p="], false],
        ["dmarc", "_dmarc.example.org", "TXT", ["v=DMARC1; p=reject; sp=reject; np=reject"], false],
      ],
    );
  });
});

describe("route53.configProblems and audit", () => {
  const dns = { provider: "route53" as const, zoneId: "Z0123456789ABCDEFGHIJ", ttl: 3600, preserveTxt: [] };
  it("accepts TTL 0 to 2147483647", () => {
    for (const ttl of [0, 60, 2147483647]) assert.deepEqual(route53.configProblems({ ...dns, ttl }), []);
  });
  it("refuses TTL 2147483648", () => {
    assert.deepEqual(route53.configProblems({ ...dns, ttl: 2147483648 }), [
      { path: ["dns", "ttl"], message: "is outside what Route53 accepts", value: 2147483648 },
    ]);
  });
  it("refuses a TXT value over 4,000 characters (Route 53 Developer Guide, TXT record type), naming the preserveTxt entry", () => {
    const { config, records } = validateStack("t", { domain: "example.org", dns, spf: {} });
    // validateStack runs this audit itself; call it directly to see the problem it reports.
    assert.deepEqual(
      route53.audit({ ...config, dns: { ...config.dns, preserveTxt: [`token=${"x".repeat(3990)}`] } }, records)
        .problems,
      [
        {
          path: ["dns", "preserveTxt", 0],
          message: "makes a TXT value at example.org of 4028 characters",
          allowed: "at most 4000 characters per TXT value on Route53",
        },
      ],
    );
  });
});
