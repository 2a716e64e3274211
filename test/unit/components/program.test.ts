import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../../components/config";
import { senderAuthProgram } from "../../../components/program";
import { installMocks, settled } from "../../support/mocks";

const valid = {
  "sender-auth:domain": "example.com",
  "sender-auth:dns": JSON.stringify({ provider: "route53", zoneId: "Z0123456789ABCDEFGHIJ", preserveTxt: ["MS=ms1"] }),
  "sender-auth:spf": JSON.stringify({ ip4: ["192.0.2.1"], all: "fail" }),
  "sender-auth:dmarc": JSON.stringify({ policy: "reject", rua: ["mailto:d@example.com"] }),
  "sender-auth:parked": "false",
  // Other namespaces are the providers' business, not ours.
  "aws:region": "eu-west-1",
};

describe("senderAuthProgram", () => {
  it("reads this stack's config once, creates one MailDomain and returns the records", async () => {
    const registered = await installMocks("prod", valid);
    const outputs = senderAuthProgram();
    await settled([outputs.component, ...outputs.component.resources]);
    assert.equal(outputs.domain, "example.com");
    assert.equal(outputs.provider, "route53");
    assert.deepEqual(outputs.records, [
      { name: "example.com", type: "TXT", ttl: 3600, value: "v=spf1 ip4:192.0.2.1 -all", purpose: "spf" },
      { name: "_dmarc.example.com", type: "TXT", ttl: 3600, value: "v=DMARC1; p=reject; rua=mailto:d@example.com", purpose: "dmarc" },
    ]);
    assert.deepEqual(outputs.warnings, []);
    assert.deepEqual(
      registered.map((r) => [r.type, r.name]).sort(),
      [
        ["aws:route53/record:Record", "example.com-dmarc"],
        ["aws:route53/record:Record", "example.com-spf"],
        ["sender-auth:index:MailDomain", "example.com"],
      ],
    );
  });

  it("fails with every problem, naming the stack, before any resource is registered", async () => {
    const registered = await installMocks("prod", {
      ...valid,
      "sender-auth:dns": JSON.stringify({ provider: "route53", zoneId: "Z0123456789ABCDEFGHIJ", ttl: "1h" }),
      "sender-auth:dmarc": JSON.stringify({ policy: "reject", rua: ["dmarc@example.com"] }),
      "sender-auth:sfp": "{}",
    });
    assert.throws(
      () => senderAuthProgram(),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message ===
          [
            'stack prod: sender-auth:dns.ttl: must be a number (got "1h"); allowed: a whole number of seconds: 1 (automatic) or 60–86400 on Cloudflare, 0–2147483647 on Route53',
            'stack prod: sender-auth:dmarc.rua[0]: is not a mailto: URI (DMARC receivers are only required to support mailto:) (got "dmarc@example.com"); allowed: a mailto: URI such as mailto:dmarc@example.com',
            "stack prod: sender-auth:sfp: unknown key; allowed: domain, dns, spf, dkim, dmarc, parked",
          ].join("\n"),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(registered, []);
  });
});
