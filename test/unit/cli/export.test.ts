/**
 * `sender-auth export` end to end: every test spawns the real binary (bin/sender-auth.js) in a temporary
 * project with the stand-in `pulumi` (test/support/pulumiStandInProgram.ts) first on PATH. Most
 * stacks hold the TEST-ONLY fixture keys (test/fixtures/keys), "encrypted" the way the stand-in
 * does; the JSON test exports a key keygen generated and checks it against `plan` and mailauth.
 * Spawns run concurrently (test/support/cli.ts caps them).
 */
import assert from "node:assert/strict";
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import type { PublishedRecord } from "../../../components/model";
import { createTempProject, runCli, type CliResult, type TempProject } from "../../support/cli";
import {
  fakeDecrypt,
  fakeEncrypt,
  fakePulumiEnv,
  readPulumiLog,
  type PulumiInvocation,
} from "../../support/pulumiStandIn";
import { fixtureKey } from "../../support/fixtures";
import { recordsResolver, signMessage, verifyDkim } from "../../support/mail";

const NOW = "2026-11-28";
const NS = "sender-auth";

// ---------------------------------------------------------------------------------------------------
// Stacks

const rsa = fixtureKey("rsa-2048");
const ed25519 = fixtureKey("ed25519");
const rsa4096 = fixtureKey("rsa-4096");
const other = fixtureKey("rsa-2048-b");
const wrong = fixtureKey("rsa-3072");

/** example.com on Cloudflare: two signing selectors with keys, a CNAME selector, one without a key, one whose key is not its publicKey's. */
const EX = `# example.com (export test)
config:
  sender-auth:domain: example.com
  sender-auth:dns:
    provider: cloudflare
    zoneId: 023e105f4ecef8ad9ca31a8372d0c353
  sender-auth:dkim:
    selectors:
      s202611a:
        privateKey:
          secure: ${fakeEncrypt(rsa.privatePem)}
        publicKey: ${rsa.publicKey}
        algorithm: rsa
        status: active
        createdAt: "2026-11-02"
      s202611e:
        privateKey:
          secure: ${fakeEncrypt(ed25519.privatePem)}
        publicKey: ${ed25519.publicKey}
        algorithm: ed25519
        status: active
        createdAt: "2026-11-02"
      s1:
        status: active
        cname: s1.domainkey.u1234567.wl123.sendgrid.net
      nokey:
        publicKey: ${other.publicKey}
        algorithm: rsa
        status: published
      bad:
        privateKey:
          secure: ${fakeEncrypt(wrong.privatePem)}
        publicKey: ${other.publicKey}
        algorithm: rsa
        status: published
`;

/** example.org on Route53 with one RSA 4096 selector. */
const ORG = `config:
  sender-auth:domain: example.org
  sender-auth:dns:
    provider: route53
    zoneId: Z0123456789ABCDEFGHIJ
  sender-auth:dkim:
    selectors:
      s202611b:
        privateKey:
          secure: ${fakeEncrypt(rsa4096.privatePem)}
        publicKey: ${rsa4096.publicKey}
        algorithm: rsa
        status: active
`;

/** A selector a keygen stopped between its two writes left behind: the private key alone (issue #11). */
const HALF = `config:
  sender-auth:domain: example.com
  sender-auth:dns:
    provider: cloudflare
    zoneId: 023e105f4ecef8ad9ca31a8372d0c353
  sender-auth:dkim:
    selectors:
      s202611a:
        privateKey:
          secure: ${fakeEncrypt(rsa.privatePem)}
`;

/** A stack keygen adds to in the JSON test. */
const FRESH = `config:
  sender-auth:domain: example.net
  sender-auth:dns:
    provider: route53
    zoneId: Z9876543210ZYXWVUTSRQ
    ttl: 600
`;

const PASSPHRASE = "correct horse battery staple ' \" $HOME";

// ---------------------------------------------------------------------------------------------------
// Projects and runs

const projects: TempProject[] = [];
after(() => {
  for (const project of projects) project.remove();
});

let sharedProject: TempProject | undefined;
/** One project for the fixture stacks (they are only read); every run gets its own pulumi log. */
function fixtures(): TempProject {
  if (sharedProject === undefined) {
    sharedProject = createTempProject("sender-auth-export-");
    projects.push(sharedProject);
    sharedProject.writeStack("ex", EX);
    sharedProject.writeStack("org", ORG);
    sharedProject.writeStack("half", HALF);
  }
  return sharedProject;
}

let runs = 0;

interface Run extends CliResult {
  /** The `pulumi` calls this run made. */
  readonly calls: PulumiInvocation[];
}

async function run(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  project = fixtures(),
): Promise<Run> {
  const log = path.join(project.dir, `pulumi-${++runs}.log`);
  const result = await runCli(args, { cwd: project.dir, env: fakePulumiEnv(log, { SENDER_AUTH_NOW: NOW, ...env }) });
  return { ...result, calls: readPulumiLog(log) };
}

function getCall(stack: string, selector: string): PulumiInvocation {
  return {
    argv: [
      "config",
      "get",
      "--path",
      `${NS}:dkim.selectors.${selector}.privateKey`,
      "--stack",
      stack,
      "--non-interactive",
    ],
    stdin: "",
    cwd: fixtures().dir,
  };
}

/** No argv carries key material: no PEM armour, no 40-character slice of the PEM body. */
function assertNoKeyMaterial(calls: readonly PulumiInvocation[], pem: string): void {
  const body = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  for (const call of calls) {
    for (const arg of call.argv) {
      assert.ok(!arg.includes("PRIVATE KEY"), JSON.stringify(call.argv));
      for (let i = 0; i + 40 <= body.length; i++) {
        assert.ok(!arg.includes(body.slice(i, i + 40)), `argv ${JSON.stringify(call.argv)} holds key material`);
      }
    }
  }
}

/** The DKIM p= value of a private key, by node:crypto. */
function publicKeyOf(key: Parameters<typeof createPrivateKey>[0]): string {
  const privateKey = createPrivateKey(key);
  const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
  return (privateKey.asymmetricKeyType === "ed25519" ? spki.subarray(-32) : spki).toString("base64");
}

const usage = (code: 1 | 2, stderr: string): Omit<Run, "calls"> => ({ code, signal: null, stdout: "", stderr });
const withoutCalls = (result: Run): Omit<Run, "calls"> => ({
  code: result.code,
  signal: result.signal,
  stdout: result.stdout,
  stderr: result.stderr,
});

describe("sender-auth export", { concurrency: true, timeout: 180_000 }, () => {
  it("--format pem prints the stored PEM, newline-terminated, read with `pulumi config get --path`; no argv holds key material", async () => {
    const result = await run(["export", "ex", "--selector", "s202611a", "--format", "pem"]);
    assert.deepEqual(withoutCalls(result), { code: 0, signal: null, stdout: rsa.privatePem, stderr: "" });
    assert.ok(result.stdout.endsWith("-----END PRIVATE KEY-----\n"));
    assert.deepEqual(result.calls, [getCall("ex", "s202611a")]);
    assertNoKeyMaterial(result.calls, rsa.privatePem);
  });

  it("--format pkcs8-encrypted (RSA): BEGIN ENCRYPTED PRIVATE KEY that opens with the passphrase only; the passphrase never reaches pulumi", async () => {
    const result = await run(
      [
        "export",
        "ex",
        "--selector",
        "s202611a",
        "--format",
        "pkcs8-encrypted",
        "--passphrase-env",
        "DKIM_TEST_PASSPHRASE",
      ],
      {
        DKIM_TEST_PASSPHRASE: PASSPHRASE,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.match(
      result.stdout,
      /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END ENCRYPTED PRIVATE KEY-----\n$/,
    );
    assert.equal(publicKeyOf({ key: result.stdout, passphrase: PASSPHRASE }), rsa.publicKey);
    assert.throws(() => createPrivateKey({ key: result.stdout, passphrase: "wrong" }));
    assert.throws(() => createPrivateKey(result.stdout));
    assert.deepEqual(result.calls, [getCall("ex", "s202611a")]);
    for (const call of result.calls) {
      assert.ok(!call.argv.some((arg) => arg.includes("correct horse")), JSON.stringify(call.argv));
      assert.ok(!call.stdin.includes("correct horse"));
    }
    assertNoKeyMaterial(result.calls, rsa.privatePem);
  });

  it("--format pkcs8-encrypted (Ed25519) opens with the passphrase only", async () => {
    const result = await run(
      [
        "export",
        "ex",
        "--selector",
        "s202611e",
        "--format",
        "pkcs8-encrypted",
        "--passphrase-env",
        "DKIM_TEST_PASSPHRASE",
      ],
      {
        DKIM_TEST_PASSPHRASE: PASSPHRASE,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END ENCRYPTED PRIVATE KEY-----\n$/,
    );
    assert.equal(publicKeyOf({ key: result.stdout, passphrase: PASSPHRASE }), ed25519.publicKey);
    assert.throws(() => createPrivateKey({ key: result.stdout, passphrase: "wrong" }));
    for (const call of result.calls) {
      assert.ok(![...call.argv, call.stdin].some((arg) => arg.includes("correct horse")), JSON.stringify(call));
    }
  });

  it("pkcs8-encrypted without --passphrase-env, or with its variable unset or empty, is exit 2 before pulumi is called", async () => {
    const args = ["export", "ex", "--selector", "s202611a", "--format", "pkcs8-encrypted"];
    const [missing, unset, empty] = await Promise.all([
      run(args, { SENDER_AUTH_TEST_UNSET: PASSPHRASE }),
      run([...args, "--passphrase-env", "SENDER_AUTH_TEST_UNSET"]),
      run([...args, "--passphrase-env", "SENDER_AUTH_TEST_EMPTY"], { SENDER_AUTH_TEST_EMPTY: "" }),
    ]);
    assert.ok(!("SENDER_AUTH_TEST_UNSET" in process.env));
    assert.deepEqual(
      withoutCalls(missing),
      usage(
        2,
        "error: --format pkcs8-encrypted needs --passphrase-env VAR naming the environment variable that holds the passphrase\n",
      ),
    );
    assert.deepEqual(
      withoutCalls(unset),
      usage(2, "error: the environment variable SENDER_AUTH_TEST_UNSET (--passphrase-env) is not set or empty\n"),
    );
    assert.deepEqual(
      withoutCalls(empty),
      usage(2, "error: the environment variable SENDER_AUTH_TEST_EMPTY (--passphrase-env) is not set or empty\n"),
    );
    assert.deepEqual([...missing.calls, ...unset.calls, ...empty.calls], []);
  });

  it("--format opendkim prints the KeyTable and SigningTable lines, without reading the key", async () => {
    const result = await run(["export", "ex", "--selector", "s202611a", "--format", "opendkim"]);
    const file = "/etc/opendkim/keys/example.com/s202611a.private";
    assert.deepEqual(withoutCalls(result), {
      code: 0,
      signal: null,
      stderr: "",
      stdout: [
        "# OpenDKIM for example.com, selector s202611a (stack ex)",
        `# write the key:  npx sender-auth export ex --selector s202611a --format pem > ${file}`,
        `#                 chown opendkim:opendkim ${file} && chmod 600 ${file}`,
        "# KeyTable:",
        `s202611a._domainkey.example.com example.com:s202611a:${file}`,
        "# SigningTable (refile:):",
        "*@example.com s202611a._domainkey.example.com",
        "",
      ].join("\n"),
    });
    assert.deepEqual(result.calls, []);
  });

  it("--format phpmailer prints the settings snippet, naming --passphrase-env's variable (default DKIM_PASSPHRASE)", async () => {
    const [plain, named] = await Promise.all([
      run(["export", "ex", "--selector", "s202611a", "--format", "phpmailer"]),
      run(["export", "org", "--selector", "s202611b", "--format", "phpmailer", "--passphrase-env", "ORG_DKIM_PASS"]),
    ]);
    assert.deepEqual(withoutCalls(plain), {
      code: 0,
      signal: null,
      stderr: "",
      stdout: [
        "// PHPMailer DKIM for example.com, selector s202611a (stack ex)",
        "// write the key:  npx sender-auth export ex --selector s202611a --format pkcs8-encrypted --passphrase-env DKIM_PASSPHRASE > /path/to/s202611a.example.com.pem",
        "$mail->DKIM_domain = 'example.com';",
        "$mail->DKIM_selector = 's202611a';",
        "$mail->DKIM_private = '/path/to/s202611a.example.com.pem';",
        "$mail->DKIM_passphrase = getenv('DKIM_PASSPHRASE');",
        "$mail->DKIM_identity = $mail->From;",
        "",
      ].join("\n"),
    });
    assert.deepEqual(withoutCalls(named), {
      code: 0,
      signal: null,
      stderr: "",
      stdout: [
        "// PHPMailer DKIM for example.org, selector s202611b (stack org)",
        "// write the key:  npx sender-auth export org --selector s202611b --format pkcs8-encrypted --passphrase-env ORG_DKIM_PASS > /path/to/s202611b.example.org.pem",
        "$mail->DKIM_domain = 'example.org';",
        "$mail->DKIM_selector = 's202611b';",
        "$mail->DKIM_private = '/path/to/s202611b.example.org.pem';",
        "$mail->DKIM_passphrase = getenv('ORG_DKIM_PASS');",
        "$mail->DKIM_identity = $mail->From;",
        "",
      ].join("\n"),
    });
    assert.deepEqual([...plain.calls, ...named.calls], []);
  });

  it("--format phpmailer on an Ed25519 selector is exit 2: PHPMailer signs with RSA only", async () => {
    const result = await run(["export", "ex", "--selector", "s202611e", "--format", "phpmailer"]);
    assert.deepEqual(
      withoutCalls(result),
      usage(
        2,
        "error: selector s202611e is ed25519: PHPMailer signs with RSA only (its DKIM_Sign uses sha256WithRSAEncryption); export an RSA selector\n",
      ),
    );
  });

  it("--format json of a key keygen generated: exactly the documented keys, the record plan produces, a key that signs for it", async () => {
    const project = createTempProject("sender-auth-export-json-");
    projects.push(project);
    project.writeStack("fresh", FRESH);
    const keygen = await run(["keygen", "fresh"], {}, project);
    assert.equal(keygen.code, 0, keygen.stderr);
    const [exported, plan] = await Promise.all([
      run(["export", "fresh", "--selector", "s202611a", "--format", "json"], {}, project),
      run(["plan", "--format", "json", "fresh"], {}, project),
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stderr, "");
    assert.equal(plan.code, 0, plan.stderr);

    const out = JSON.parse(exported.stdout) as Record<string, unknown>;
    assert.ok(exported.stdout.endsWith("}\n"));
    assert.deepEqual(Object.keys(out), [
      "stack",
      "domain",
      "selector",
      "status",
      "algorithm",
      "bits",
      "fingerprint",
      "publicKey",
      "privateKeyPem",
      "record",
    ]);

    const stored = (
      parseYaml(readFileSync(path.join(project.stacksDir, "Pulumi.fresh.yaml"), "utf8")) as {
        config: Record<string, { selectors: Record<string, { publicKey: string; privateKey: { secure: string } }> }>;
      }
    ).config[`${NS}:dkim`]?.selectors["s202611a"];
    assert.ok(stored !== undefined);
    const pem = fakeDecrypt(stored.privateKey.secure);
    assert.ok(pem !== undefined);
    const fingerprint = createHash("sha256").update(Buffer.from(stored.publicKey, "base64")).digest("hex");

    const [planned] = JSON.parse(plan.stdout) as { records: PublishedRecord[] }[];
    assert.ok(planned !== undefined);
    const planRecord = planned.records.find((r) => r.purpose === "dkim" && r.selector === "s202611a");
    assert.ok(planRecord !== undefined);

    assert.deepEqual(out, {
      stack: "fresh",
      domain: "example.net",
      selector: "s202611a",
      status: "published",
      algorithm: "rsa",
      bits: 2048,
      fingerprint,
      publicKey: stored.publicKey,
      privateKeyPem: `${pem}\n`,
      record: { name: planRecord.name, type: planRecord.type, value: planRecord.value },
    });
    assert.equal(planRecord.name, "s202611a._domainkey.example.net");
    // The same fingerprint keygen printed.
    assert.ok(keygen.stdout.includes(`\n  public key SHA-256 ${fingerprint}\n`), keygen.stdout);
    assert.equal(publicKeyOf(text(out["privateKeyPem"])), stored.publicKey);
    const signed = await signMessage("example.net", "s202611a", text(out["privateKeyPem"]));
    assert.equal(await verifyDkim(signed, recordsResolver(planned.records)), "pass");

    assert.deepEqual(
      exported.calls.map((call) => call.argv),
      [
        [
          "config",
          "get",
          "--path",
          `${NS}:dkim.selectors.s202611a.privateKey`,
          "--stack",
          "fresh",
          "--non-interactive",
        ],
      ],
    );
    assertNoKeyMaterial([...keygen.calls, ...exported.calls], pem);
  });

  // -------------------------------------------------------------------------------------------------
  // Errors

  it("an unknown selector is exit 2 listing the stack's selectors", async () => {
    const result = await run(["export", "ex", "--selector", "nope", "--format", "pem"]);
    assert.deepEqual(
      withoutCalls(result),
      usage(2, "error: stack ex has no selector nope; selectors: bad, nokey, s1, s202611a, s202611e\n"),
    );
    assert.deepEqual(result.calls, []);
  });

  it("a CNAME selector is exit 2: its key is the provider's", async () => {
    const result = await run(["export", "ex", "--selector", "s1", "--format", "pem"]);
    assert.deepEqual(
      withoutCalls(result),
      usage(
        2,
        "error: selector s1 is a cname selector: its key is held by the provider s1.domainkey.u1234567.wl123.sendgrid.net points at, not by this stack\n",
      ),
    );
    assert.deepEqual(result.calls, []);
  });

  it("a selector without a stored private key is exit 2", async () => {
    const result = await run(["export", "ex", "--selector", "nokey", "--format", "pem"]);
    assert.deepEqual(
      withoutCalls(result),
      usage(
        2,
        "error: selector nokey has no private key in stack ex (it was generated elsewhere, or removed); there is nothing to export\n",
      ),
    );
    assert.deepEqual(result.calls, []);
  });

  it("a missing --selector or --format is a usage error (exit 2)", async () => {
    const [selector, format] = await Promise.all([
      run(["export", "ex", "--format", "pem"]),
      run(["export", "ex", "--selector", "s202611a"]),
    ]);
    assert.deepEqual(
      withoutCalls(selector),
      usage(2, "error: required option '--selector <name>' not specified\n(run with --help for usage)\n"),
    );
    assert.deepEqual(
      withoutCalls(format),
      usage(2, "error: required option '--format <format>' not specified\n(run with --help for usage)\n"),
    );
    assert.deepEqual([...selector.calls, ...format.calls], []);
  });

  it("an orphan private key (no publicKey: a keygen stopped half-way) is never handed out, in any format (exit 1)", async () => {
    const results = await Promise.all(
      (["pem", "json", "opendkim"] as const).map((format) =>
        run(["export", "half", "--selector", "s202611a", "--format", format]),
      ),
    );
    for (const result of results) {
      assert.deepEqual(
        withoutCalls(result),
        usage(
          1,
          [
            "error: selector s202611a of stack half has a private key but no publicKey, so no DNS record publishes it and mail signed with it fails DKIM; refusing to export it. Remove the half-written selector with",
            `error:   pulumi config rm --path '${NS}:dkim.selectors.s202611a' --stack half`,
            "error: and generate a new key with npx sender-auth keygen half",
            "",
          ].join("\n"),
        ),
      );
      assert.deepEqual(result.calls, []);
    }
  });

  it("a stored private key that is not its publicKey's is never exported (exit 1)", async () => {
    const result = await run(["export", "ex", "--selector", "bad", "--format", "pem"]);
    assert.deepEqual(
      withoutCalls(result),
      usage(
        1,
        // The program's key-pair check and its words (issue 13: one check), keys named by fingerprint.
        `error: ${NS}:dkim.selectors.bad.privateKey does not match its publicKey: the private key's public half ` +
          "has SHA-256 06d4dffc6b939997…, publicKey has 336219bb14cb145c…; refusing to export a key that would fail DKIM\n",
      ),
    );
    assert.deepEqual(result.calls, [getCall("ex", "bad")]);
  });
});

function text(value: unknown): string {
  assert.equal(typeof value, "string");
  return value as string;
}
