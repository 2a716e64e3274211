/**
 * MTA-STS under the Pulumi SDK's mock runtime: the program registers one TXT record at
 * `_mta-sts.<domain>` (exact resource types, names and inputs on Cloudflare and Route53), exports the
 * policy text as the stack output `mtaStsPolicy`, and neither without `sender-auth:mtaSts`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { senderAuthProgram, stackOutputs } from "../../../../components/program";
import { installMocks, settled } from "../../../support/mocks";

const POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.mx.example.net\r\nmax_age: 604800\r\n";
// `printf '<POLICY>' | sha256sum`, first 32 hex digits.
const ID = "b72bbb081b3c130d387462c91a2be1cb";
const MTA_STS = JSON.stringify({ mode: "enforce", mx: ["mail.example.com", "*.mx.example.net"] });

const config = (dns: object, extra: Record<string, string> = {}): Record<string, string> => ({
  "sender-auth:domain": "example.com",
  "sender-auth:dns": JSON.stringify(dns),
  ...extra,
});

async function program(values: Record<string, string>) {
  const registered = await installMocks("prod", values);
  const outputs = senderAuthProgram();
  await settled([outputs.component, ...outputs.component.resources]);
  return { registered, outputs };
}

describe("MTA-STS in the program (mock runtime)", () => {
  it("Cloudflare: one DnsRecord at _mta-sts.<domain>, and the policy as stack output mtaStsPolicy", async () => {
    const { registered, outputs } = await program(
      config({ provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" }, { "sender-auth:mtaSts": MTA_STS }),
    );
    assert.deepEqual(
      registered.map((r) => [r.type, r.name]),
      [
        ["sender-auth:index:MailDomain", "example.com"],
        ["cloudflare:index/dnsRecord:DnsRecord", "example.com-mta-sts"],
      ],
    );
    assert.deepEqual(registered[1]?.inputs, {
      zoneId: "023e105f4ecef8ad9ca31a8372d0c353",
      name: "_mta-sts.example.com",
      type: "TXT",
      ttl: 3600,
      content: `"v=STSv1; id=${ID}"`,
      comment: "sender-auth mta-sts",
    });
    assert.equal(outputs.mtaStsPolicy, POLICY);
    const exported = stackOutputs(outputs);
    assert.equal(exported.mtaStsPolicy, POLICY);
    assert.deepEqual(outputs.records, [
      { name: "_mta-sts.example.com", type: "TXT", ttl: 3600, value: `v=STSv1; id=${ID}`, purpose: "mta-sts" },
    ]);
  });

  it("Route53: one Record, its one value unquoted", async () => {
    const { registered } = await program(
      config({ provider: "route53", zoneId: "Z0123456789ABCDEFGHIJ", ttl: 300 }, { "sender-auth:mtaSts": MTA_STS }),
    );
    const records = registered.filter((r) => r.custom);
    assert.deepEqual(
      records.map((r) => [r.type, r.name, r.inputs]),
      [
        [
          "aws:route53/record:Record",
          "example.com-mta-sts",
          {
            zoneId: "Z0123456789ABCDEFGHIJ",
            name: "_mta-sts.example.com",
            type: "TXT",
            ttl: 300,
            records: [`v=STSv1; id=${ID}`],
            allowOverwrite: false,
          },
        ],
      ],
    );
  });

  it("without sender-auth:mtaSts: no record and no mtaStsPolicy output", async () => {
    const { registered, outputs } = await program(
      config(
        { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" },
        { "sender-auth:dmarc": JSON.stringify({ policy: "reject" }) },
      ),
    );
    assert.deepEqual(
      registered.filter((r) => r.custom).map((r) => r.name),
      ["example.com-dmarc"],
    );
    assert.equal(outputs.mtaStsPolicy, undefined);
    assert.equal("mtaStsPolicy" in stackOutputs(outputs), false);
  });

  it("refuses enforce without mx before any resource is registered", async () => {
    const registered = await installMocks(
      "prod",
      config(
        { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" },
        { "sender-auth:mtaSts": JSON.stringify({ mode: "enforce" }) },
      ),
    );
    assert.throws(
      () => senderAuthProgram(),
      /^ConfigError: stack prod: sender-auth:mtaSts\.mx: is required with mode enforce: /,
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(registered, []);
  });
});
