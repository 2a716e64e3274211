/**
 * MailDomain under the SDK's mock runtime publishes the TLS-RPT and BIMI records as provider
 * resources (issue 13): exact types, names and inputs on Cloudflare and Route53 (a TLS-RPT value over
 * 255 characters split into character-strings there), none of them without the keys.
 */
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { MailDomain } from "../../../../components/mailDomain";
import { installMocks, settled, validated, type Registered } from "../../../support/mocks";

const CF = "cloudflare:index/dnsRecord:DnsRecord";
const R53 = "aws:route53/record:Record";
const LONG = `https://reports.example.net/tlsrpt/${"v".repeat(240)}`;

let registered: Registered[];
beforeEach(async () => {
  registered = await installMocks();
});

async function publish(raw: Record<string, unknown>): Promise<Registered[]> {
  const stack = validated(raw);
  const component = new MailDomain(stack.config.domain, stack, {});
  await settled([component, ...component.resources]);
  return registered.filter((r) => r.custom).sort((a, b) => a.name.localeCompare(b.name));
}

const families = {
  dmarc: { policy: "reject" },
  tlsRpt: { rua: ["mailto:tls@example.com", LONG] },
  bimi: { logo: "https://example.com/logo.svg", authority: "https://example.com/vmc.pem" },
};

describe("MailDomain publishes TLS-RPT and BIMI", () => {
  it("on Cloudflare: one DnsRecord each, exact inputs", async () => {
    const resources = await publish({
      domain: "example.com",
      dns: { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353", ttl: 300 },
      ...families,
    });
    assert.deepEqual(
      resources.map((r) => [r.type, r.name]),
      [
        [CF, "example.com-bimi"],
        [CF, "example.com-dmarc"],
        [CF, "example.com-tls-rpt"],
      ],
    );
    const [bimi, , tlsRpt] = resources;
    assert.deepEqual(bimi?.inputs, {
      comment: "sender-auth bimi",
      content: '"v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem"',
      name: "default._bimi.example.com",
      ttl: 300,
      type: "TXT",
      zoneId: "023e105f4ecef8ad9ca31a8372d0c353",
    });
    const value = `v=TLSRPTv1; rua=mailto:tls@example.com,${LONG}`;
    assert.equal(tlsRpt?.inputs["name"], "_smtp._tls.example.com");
    assert.equal(tlsRpt.inputs["content"], `"${value.slice(0, 255)}" "${value.slice(255)}"`);
  });

  it("on Route53: one Record each, the long TLS-RPT value in character-strings of at most 255", async () => {
    const resources = await publish({
      domain: "example.org",
      dns: { provider: "route53", zoneId: "Z0123456789ABCDEFGHIJ", ttl: 300 },
      ...families,
      bimi: { selector: "brand2", logo: "https://example.org/logo.svg" },
    });
    assert.deepEqual(
      resources.map((r) => [r.type, r.name, r.inputs["name"]]),
      [
        [R53, "example.org-bimi", "brand2._bimi.example.org"],
        [R53, "example.org-dmarc", "_dmarc.example.org"],
        [R53, "example.org-tls-rpt", "_smtp._tls.example.org"],
      ],
    );
    assert.deepEqual(resources[0]?.inputs["records"], ["v=BIMI1; l=https://example.org/logo.svg;"]);
    const value = `v=TLSRPTv1; rua=mailto:tls@example.com,${LONG}`;
    assert.deepEqual(resources[2]?.inputs["records"], [`${value.slice(0, 255)}""${value.slice(255)}`]);
  });

  it("without the keys, neither record", async () => {
    const resources = await publish({
      domain: "example.com",
      dns: { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" },
      dmarc: { policy: "reject" },
    });
    assert.deepEqual(
      resources.map((r) => r.name),
      ["example.com-dmarc"],
    );
  });
});
