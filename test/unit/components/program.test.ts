import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../../components/config";
import { senderAuthProgram } from "../../../components/program";
import { fixtureKey } from "../../support/fixtures";
import { installMocks, settled, unwrap } from "../../support/mocks";

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
      {
        name: "_dmarc.example.com",
        type: "TXT",
        ttl: 3600,
        value: "v=DMARC1; p=reject; rua=mailto:d@example.com",
        purpose: "dmarc",
      },
    ]);
    assert.deepEqual(outputs.warnings, []);
    assert.deepEqual(registered.map((r) => [r.type, r.name]).sort(), [
      ["aws:route53/record:Record", "example.com-dmarc"],
      ["aws:route53/record:Record", "example.com-spf"],
      ["sender-auth:index:MailDomain", "example.com"],
    ]);
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
            "stack prod: sender-auth:sfp: unknown key; allowed: domain, dns, spf, dkim, dmarc, mtaSts, tlsRpt, bimi, parked",
          ].join("\n"),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(registered, []);
  });
});

const execFileAsync = promisify(execFile);

describe("senderAuthProgram with DKIM private keys in secret config", () => {
  const rsa = fixtureKey("rsa-2048");
  const rsaB = fixtureKey("rsa-2048-b");
  const dkim = (privateKey: string): string =>
    JSON.stringify({
      selectors: {
        s1: { status: "active", publicKey: rsa.publicKey, privateKey, createdAt: "2026-11-01" },
        s2: { status: "published", publicKey: rsaB.publicKey, privateKey: rsaB.privatePem, createdAt: "2026-11-20" },
      },
    });
  const config = (privateKey: string): Record<string, string> => ({
    "sender-auth:domain": "example.com",
    "sender-auth:dns": JSON.stringify({ provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" }),
    "sender-auth:dkim": dkim(privateKey),
  });

  it("refuses a private key in a sender-auth:dkim Pulumi does not mark secret (plain text in the stack file), before any resource", async () => {
    const registered = await installMocks("prod", config(rsa.privatePem), []);
    assert.throws(
      () => senderAuthProgram(),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.problems.map((p) => p.path),
          ["sender-auth:dkim.selectors.s1.privateKey", "sender-auth:dkim.selectors.s2.privateKey"],
        );
        assert.match(error.message, /is stored in plain text: .*pulumi config set --secret --path/);
        assert.ok(!error.message.includes("PRIVATE KEY"));
        return true;
      },
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(registered, []);
  });

  it("exports signingKeys as a secret holding only active keys, and dkimSelectors in the clear", async () => {
    process.env["SENDER_AUTH_NOW"] = "2026-11-28";
    const registered = await installMocks("prod", config(rsa.privatePem), ["sender-auth:dkim"]);
    const outputs = senderAuthProgram();
    await settled([outputs.component, ...outputs.component.resources]);
    assert.equal(await pulumi.isSecret(outputs.signingKeys), true);
    assert.deepEqual(await unwrap(outputs.signingKeys), { s1: rsa.privatePem });
    assert.deepEqual(
      outputs.dkimSelectors.map((s) => [s.selector, s.status, s.algorithm, s.bits, s.createdAt, s.ageDays]),
      [
        ["s1", "active", "rsa", 2048, "2026-11-01", 27],
        ["s2", "published", "rsa", 2048, "2026-11-20", 8],
      ],
    );
    // Records are derived from public keys only: nothing registered is secret or holds key material.
    const inputs = JSON.stringify(registered.map((r) => r.inputs));
    assert.ok(!inputs.includes("PRIVATE KEY"));
    assert.equal(registered.filter((r) => r.custom).length, 2);
    delete process.env["SENDER_AUTH_NOW"];
  });

  it("a private key that does not match its published key registers no DNS record and names the selector", async () => {
    // Spawned: the failure surfaces as rejected resource inputs, which node:test would pin on this test.
    const { stdout } = await execFileAsync(
      process.execPath,
      ["--import", "tsx", path.join(__dirname, "..", "..", "support", "runProgram.ts")],
      {
        env: {
          ...process.env,
          RUN_PROGRAM_CONFIG: JSON.stringify(config(rsaB.privatePem)),
          RUN_PROGRAM_SECRET_KEYS: JSON.stringify(["sender-auth:dkim"]),
        },
      },
    );
    const result = JSON.parse(stdout) as { registered: { type: string }[]; rejections: string[]; thrown?: string };
    assert.deepEqual(
      result.registered.map((r) => r.type),
      ["sender-auth:index:MailDomain"],
    );
    assert.ok(result.rejections.length > 0);
    for (const rejection of result.rejections) {
      assert.match(
        rejection,
        /stack prod: sender-auth:dkim\.selectors\.s1\.privateKey: does not match its publicKey: the private key's public half has SHA-256 [0-9a-f]{16}…, publicKey has [0-9a-f]{16}…/,
      );
      assert.ok(!rejection.includes("PRIVATE KEY"));
    }
  });
});
