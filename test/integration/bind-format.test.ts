/**
 * `plan --format bind` (issue #12): the zone files BIND loads as they are. Two stacks (Cloudflare with a
 * 4096-bit key split into character-strings and an Ed25519 key; a parked Route53 domain with a null MX
 * and a wildcard) are planned by the real CLI into `--out DIR`, checked with named-checkzone, served by
 * named with the very named.conf README.md shows, read back record by record, and checked with
 * `sender-auth check --resolver`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { isRecord } from "../../components/model";
import { skipOrFailWithoutNamed, startNamedWith, type BindServer } from "../support/bind";
import { createTempProject, describeResult, REPO_ROOT, runCli, type CliResult, type TempProject } from "../support/cli";
import { FIXTURE_PRINTS, fixtureKey } from "../support/fixtures";

const execFileAsync = promisify(execFile);

const ALPHA = "alpha.test";
const BETA = "beta.test";
const RSA = fixtureKey("rsa-4096").publicKey;
const ED = fixtureKey("ed25519").publicKey;

const STACKS: Readonly<Record<string, string>> = {
  alpha: `config:
  sender-auth:domain: ${ALPHA}
  sender-auth:dns:
    provider: cloudflare
    zoneId: 0123456789abcdef0123456789abcdef
    ttl: 300
  sender-auth:spf:
    ip4: ["192.0.2.10"]
    all: fail
  sender-auth:dkim:
    selectors:
      s4096:
        status: active
        publicKey: ${RSA}
      sed:
        status: published
        algorithm: ed25519
        publicKey: ${ED}
  sender-auth:dmarc:
    policy: reject
    rua: ["mailto:dmarc@${ALPHA}"]
`,
  beta: `config:
  sender-auth:domain: ${BETA}
  sender-auth:parked: true
  sender-auth:dns:
    provider: route53
    zoneId: Z0123456789ABCDEFGHIJ
`,
};

/** The named.conf of README.md's "Serving the plan locally", as printed there. */
function readmeNamedConf(): string {
  const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const start = "cat > /tmp/sender-auth-zones/named.conf <<'EOF'\n";
  const from = readme.indexOf(start);
  assert.ok(from >= 0, "README.md no longer shows the named.conf heredoc");
  const to = readme.indexOf("\nEOF\n", from);
  return readme.slice(from + start.length, to + 1);
}

interface PlannedRecord {
  readonly name: string;
  readonly type: string;
  readonly value: string;
}

describe("plan --format bind: zone files BIND loads as they are", () => {
  let project: TempProject;
  let wrote: CliResult;
  const zonesDir = (): string => path.join(project.dir, "zones");
  const zoneFile = (domain: string): string => path.join(zonesDir(), `${domain}.zone`);

  before(async () => {
    project = createTempProject("sender-auth-bind-");
    for (const [stack, text] of Object.entries(STACKS)) project.writeStack(stack, text);
    wrote = await runCli(["plan", "--format", "bind", "--out", "zones"], { cwd: project.dir });
  });
  after(() => {
    project.remove();
  });

  it("--out DIR writes DIR/<domain>.zone per stack and names each on stdout", () => {
    assert.equal(wrote.code, 0, describeResult(wrote));
    assert.equal(wrote.stdout, `wrote zones/${ALPHA}.zone (stack alpha)\nwrote zones/${BETA}.zone (stack beta)\n`);
    assert.equal(wrote.stderr, "");
  });

  it("each file is the stack's one-stack stdout, and its records are exactly the zone format's", async () => {
    for (const [stack, domain] of [
      ["alpha", ALPHA],
      ["beta", BETA],
    ] as const) {
      const bind = await runCli(["plan", stack, "--format", "bind"], { cwd: project.dir });
      const zone = await runCli(["plan", stack, "--format", "zone"], { cwd: project.dir });
      assert.equal(bind.code, 0, describeResult(bind));
      const text = readFileSync(zoneFile(domain), "utf8");
      assert.equal(text, bind.stdout);
      const lines = text.split("\n");
      const zoneLines = zone.stdout.split("\n");
      const ttl = stack === "alpha" ? 300 : 3600;
      assert.deepEqual(lines.slice(0, 6), [
        zoneLines[0],
        "; SOA and NS are placeholders so that BIND loads this file (`sender-auth plan --format bind`); not for publishing",
        `$ORIGIN ${domain}.`,
        `$TTL ${ttl}`,
        `${"@".padEnd(stack === "alpha" ? 16 : 12)} ${ttl} IN SOA   ns.invalid. hostmaster.invalid. ( 1 3600 600 604800 300 )`,
        `${"@".padEnd(stack === "alpha" ? 16 : 12)} ${ttl} IN NS    ns.invalid.`,
      ]);
      assert.deepEqual(lines.slice(6), zoneLines.slice(2));
    }
  });

  it("named-checkzone loads each file as it is", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    for (const domain of [ALPHA, BETA]) {
      const { stdout } = await execFileAsync("named-checkzone", [domain, zoneFile(domain)]);
      assert.equal(stdout, `zone ${domain}/IN: loaded serial 1\nOK\n`);
    }
  });

  describe("served by named with README.md's named.conf", () => {
    let server: BindServer | undefined;

    before(async () => {
      if (skipOrFailWithoutNamed(undefined)) return;
      const shown = readmeNamedConf();
      // The README's zone lines, one per file --out wrote, in the form these are rewritten to.
      const zoneLine = (domain: string): string => `zone "${domain}" { type primary; file "${domain}.zone"; };`;
      assert.ok(shown.includes(`${zoneLine("example.com")}\n${zoneLine("example.org")}\n`), shown);
      server = await startNamedWith(
        (dir, port) => {
          for (const domain of [ALPHA, BETA]) {
            writeFileSync(path.join(dir, `${domain}.zone`), readFileSync(zoneFile(domain)));
          }
          const conf = shown
            .replaceAll("/tmp/sender-auth-zones", dir)
            .replace("port 5300", `port ${port}`)
            .replace(
              `${zoneLine("example.com")}\n${zoneLine("example.org")}\n`,
              `${zoneLine(ALPHA)}\n${zoneLine(BETA)}\n`,
            );
          const file = path.join(dir, "named.conf");
          writeFileSync(file, conf);
          return file;
        },
        [ALPHA, BETA],
      );
    });
    after(async () => {
      await server?.stop();
    });

    it("answers every planned record with its planned value", async (t) => {
      if (skipOrFailWithoutNamed(t) || server === undefined) return;
      const planned = await runCli(["plan", "--format", "json"], { cwd: project.dir });
      const stacks: unknown = JSON.parse(planned.stdout);
      assert.ok(Array.isArray(stacks));
      const records = stacks.flatMap((s: unknown): unknown[] =>
        isRecord(s) && Array.isArray(s["records"]) ? (s["records"] as unknown[]) : [],
      );
      assert.equal(records.length, 8);
      for (const record of records as PlannedRecord[]) {
        const name = record.name.replace("*", "anything");
        if (record.type === "TXT") {
          assert.deepEqual(
            (await server.resolver.resolveTxt(name)).map((strings) => strings.join("")),
            [record.value],
            record.name,
          );
        } else if (record.type === "MX") {
          assert.deepEqual(await server.resolver.resolveMx(name), [{ exchange: "", priority: 0 }], record.name);
          assert.equal(record.value, "0 .");
        } else {
          assert.fail(`unexpected ${record.type} ${record.name}`);
        }
      }
    });

    it("sender-auth check --resolver finds every record as planned", async (t) => {
      if (skipOrFailWithoutNamed(t) || server === undefined) return;
      const resolver = `127.0.0.1:${server.port}`;
      const alpha = await runCli(["check", "alpha", "--resolver", resolver, "--no-pulumi"], { cwd: project.dir });
      assert.equal(alpha.code, 0, describeResult(alpha));
      assert.equal(
        alpha.stdout,
        [
          `alpha (${ALPHA}): ok (10 checks)`,
          `  OK    ${ALPHA}: SPF [ttl 300]`,
          `  OK    s4096._domainkey.${ALPHA}: DKIM s4096 [ttl 300]`,
          `  OK    sed._domainkey.${ALPHA}: DKIM sed [ttl 300]`,
          `  OK    _dmarc.${ALPHA}: DMARC [ttl 300]`,
          "  OK    spf: 0 DNS lookups of 10 (RFC 7208 §4.6.4)",
          "  OK    spf: 0 void lookups of 2 (RFC 7208 §4.6.4)",
          `  OK    spf: the TXT answer at ${ALPHA} is 36 octets (under 450)`,
          `  OK    dkim s4096: serves the configured key ${FIXTURE_PRINTS["rsa-4096"]} (RSA 4096)`,
          `  OK    dkim sed: serves the configured key ${FIXTURE_PRINTS.ed25519} (Ed25519)`,
          "  OK    dmarc: mailauth reads p=reject",
          "",
        ].join("\n"),
      );
      const beta = await runCli(["check", "beta", "--resolver", resolver, "--no-pulumi"], { cwd: project.dir });
      assert.equal(beta.code, 0, describeResult(beta));
      assert.equal(
        beta.stdout,
        [
          `beta (${BETA}): ok (8 checks)`,
          `  OK    ${BETA}: SPF [ttl 3600]`,
          `  OK    ${BETA}: MX [ttl 3600]`,
          `  OK    *._domainkey.${BETA}: DKIM * [ttl 3600]`,
          `  OK    _dmarc.${BETA}: DMARC [ttl 3600]`,
          "  OK    spf: 0 DNS lookups of 10 (RFC 7208 §4.6.4)",
          "  OK    spf: 0 void lookups of 2 (RFC 7208 §4.6.4)",
          `  OK    spf: the TXT answer at ${BETA} is 20 octets (under 450)`,
          "  OK    dmarc: mailauth reads p=reject",
          "",
        ].join("\n"),
      );
    });
  });
});
