/**
 * What each provider serves for the inputs sender-auth registers (`served`, issue #12: what `check
 * --planned` answers from): each record's character-strings as the provider splits them, the TTL it
 * serves, and the apex values sender-auth leaves alone.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateStack } from "../../../components/config";
import { CLOUDFLARE_RECORD_TYPE, cloudflare, cloudflareRecordInputs } from "../../../components/providers/cloudflare";
import { ROUTE53_RECORD_TYPE, route53, route53RecordSets } from "../../../components/providers/route53";
import type { RegisteredRecordResource } from "../../../components/providers/types";
import { fixtureKey } from "../../support/fixtures";

const KEY = fixtureKey("rsa-2048").publicKey;
const DKIM = `v=DKIM1; k=rsa; p=${KEY}`;

function stack(provider: "cloudflare" | "route53", ttl: number) {
  return validateStack("t", {
    domain: "example.org",
    dns: {
      provider,
      zoneId: provider === "cloudflare" ? "0123456789abcdef0123456789abcdef" : "Z0123456789ABCDEFGHIJ",
      ttl,
      preserveTxt: ["MS=ms1"],
    },
    spf: { ip4: ["192.0.2.1"], all: "fail" },
    dkim: {
      selectors: {
        s1: { status: "active", algorithm: "rsa", publicKey: KEY, createdAt: "2026-11-01" },
        esp: { status: "active", cname: "s1.dkim.esp.example.net" },
      },
    },
    dmarc: { policy: "reject", rua: ["mailto:d@example.org"] },
  });
}

describe("served: what the provider serves for the registered inputs", () => {
  it("Cloudflare: each record's content read as character-strings, TTL 1 served as 300 s, preserveTxt beside the SPF record", () => {
    const { config, records } = stack("cloudflare", 1);
    const resources: RegisteredRecordResource[] = records.map((record) => ({
      type: CLOUDFLARE_RECORD_TYPE,
      name: `example.org-${record.id}`,
      inputs: { ...cloudflareRecordInputs(record, config.dns.zoneId) },
    }));
    assert.deepEqual(cloudflare.served(resources, config), [
      { name: "example.org", type: "TXT", ttl: 300, data: ["v=spf1 ip4:192.0.2.1 -all"] },
      { name: "esp._domainkey.example.org", type: "CNAME", ttl: 300, data: "s1.dkim.esp.example.net" },
      { name: "s1._domainkey.example.org", type: "TXT", ttl: 300, data: [DKIM.slice(0, 255), DKIM.slice(255)] },
      { name: "_dmarc.example.org", type: "TXT", ttl: 300, data: ["v=DMARC1; p=reject; rua=mailto:d@example.org"] },
      { name: "example.org", type: "TXT", ttl: 300, data: ["MS=ms1"] },
    ]);
  });

  it("Cloudflare without an SPF record: the apex TXT records are not sender-auth's, so none is served", () => {
    const { config, records } = stack("cloudflare", 600);
    const resources = records
      .filter((record) => record.purpose !== "spf")
      .map((record) => ({
        type: CLOUDFLARE_RECORD_TYPE,
        name: `example.org-${record.id}`,
        inputs: { ...cloudflareRecordInputs(record, config.dns.zoneId) },
      }));
    assert.deepEqual(
      cloudflare.served(resources, config).filter((r) => r.name === "example.org"),
      [],
    );
  });

  it('Route53: one record per element, each `""` a boundary between character-strings; the apex set carries preserveTxt', () => {
    const { config, records } = stack("route53", 600);
    const resources: RegisteredRecordResource[] = route53RecordSets(config.domain, records, config.dns.preserveTxt).map(
      (set) => ({
        type: ROUTE53_RECORD_TYPE,
        name: `example.org-${set.id}`,
        inputs: { zoneId: config.dns.zoneId, name: set.name, type: set.type, ttl: set.ttl, records: [...set.records] },
      }),
    );
    assert.deepEqual(route53.served(resources, config), [
      { name: "example.org", type: "TXT", ttl: 600, data: ["v=spf1 ip4:192.0.2.1 -all"] },
      { name: "example.org", type: "TXT", ttl: 600, data: ["MS=ms1"] },
      { name: "esp._domainkey.example.org", type: "CNAME", ttl: 600, data: "s1.dkim.esp.example.net" },
      { name: "s1._domainkey.example.org", type: "TXT", ttl: 600, data: [DKIM.slice(0, 255), DKIM.slice(255)] },
      { name: "_dmarc.example.org", type: "TXT", ttl: 600, data: ["v=DMARC1; p=reject; rua=mailto:d@example.org"] },
    ]);
  });

  it("inputs that are not what the provider's file registers: an error naming the resource and the input", () => {
    const { config } = stack("route53", 600);
    assert.throws(
      () =>
        route53.served(
          [
            {
              type: ROUTE53_RECORD_TYPE,
              name: "example.org-spf",
              inputs: { name: "example.org", type: "TXT", ttl: 600, records: "v=spf1 -all" },
            },
          ],
          config,
        ),
      { message: 'resource example.org-spf (aws:route53/record:Record) has an unexpected records: "v=spf1 -all"' },
    );
    assert.throws(
      () =>
        cloudflare.served(
          [
            {
              type: CLOUDFLARE_RECORD_TYPE,
              name: "example.org-spf",
              inputs: { name: "example.org", type: "SPF", ttl: 1, content: "" },
            },
          ],
          config,
        ),
      { message: 'resource example.org-spf (cloudflare:index/dnsRecord:DnsRecord) has an unexpected type: "SPF"' },
    );
  });
});
