/**
 * Actionable findings (issue #12), the real binary against a DNS server serving broken zones: keys
 * named by fingerprint with which side is which, a hint ending every failing finding (`pulumi up`,
 * "edited by hand outside sender-auth?", "wait for TTL N s (until HH:MM UTC)"), the DNS question
 * behind a failure named, no ok for a check whose record is missing, a key file that is not the
 * selector's key said to be so; JSON keeps the full values. "Now" is pinned (SENDER_AUTH_NOW).
 * Fingerprints are SHA-256 of the key bytes, as `openssl pkey -pubout -outform DER | sha256sum`
 * prints them for the TEST-ONLY fixture keys (the raw 32 bytes for Ed25519).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { stringify as stringifyYaml } from "yaml";
import { validateStack } from "../../../components/config";
import { deployHint, failures, missingHint, parseReports } from "../../support/checkReports";
import { createTempProject, inheritedEnv, runCli, type CliResult, type TempProject } from "../../support/cli";
import { FIXTURE_DIR, FIXTURE_PRINTS, fixtureKey } from "../../support/fixtures";
import { mapZone, startHostileDns, type HostileAnswer, type HostileDns } from "../../support/hostileDns";

const NOW = "2026-11-28T10:00:00Z";
const ZONE_ID = "0123456789abcdef0123456789abcdef";
const PRINT = FIXTURE_PRINTS;
const dkim = (key: keyof typeof PRINT): string =>
  `v=DKIM1; k=${fixtureKey(key).algorithm}; p=${fixtureKey(key).publicKey}`;
const keyFile = (key: string): string => path.join(FIXTURE_DIR, "keys", `${key}.pem`);
/** A file that is not a private key. */
const NOT_A_KEY = path.join(FIXTURE_DIR, "keys", "rsa-4160.spki.b64");

interface Spec {
  readonly config: Record<string, unknown>;
  /** What the server serves instead at these names (an empty list: NODATA; absent from the zone: NXDOMAIN). */
  readonly served?: Readonly<Record<string, readonly HostileAnswer[] | null>>;
}

const spf = { ip4: ["192.0.2.10"], include: ["_spf.esp.test"], all: "fail" };
const selector = (key: keyof typeof PRINT) => ({
  status: "active",
  algorithm: fixtureKey(key).algorithm,
  publicKey: fixtureKey(key).publicKey,
  createdAt: "2026-11-01",
});

const STACKS: Readonly<Record<string, Spec>> = {
  // DNS serves another key at the selector, from a cache with 120 s left.
  wrongkey: {
    config: { spf, dkim: { selectors: { s1: selector("rsa-2048") } } },
    served: { "s1._domainkey.wrongkey.test": [{ type: "TXT", data: dkim("rsa-2048-b"), ttl: 120 }] },
  },
  // No DMARC record at all.
  nodmarc: { config: { spf }, served: { "_dmarc.nodmarc.test": null } },
  // The apex serves a verification token, no SPF record.
  nospf: {
    config: { spf },
    served: { "nospf.test": [{ type: "TXT", data: "google-site-verification=abc" }] },
  },
  // Reports to a destination that does not authorise them.
  rua: { config: { dmarc: { policy: "reject", rua: ["mailto:agg@reports.test"] } } },
  // Two keys at hand that are not the selectors' keys.
  keyfile: { config: { spf, dkim: { selectors: { k1: selector("ed25519"), k2: selector("rsa-2048") } } } },
};

function configOf(stack: string, spec: Spec): Record<string, unknown> {
  return {
    domain: `${stack}.test`,
    dns: { provider: "cloudflare", zoneId: ZONE_ID, ttl: 300 },
    dmarc: { policy: "reject", rua: [`mailto:dmarc@${stack}.test`] },
    ...spec.config,
  };
}

/** Every stack's records as declared, then the specs' replacements; `_spf.esp.test` for the include. */
function zone(): Record<string, readonly HostileAnswer[]> {
  const records = new Map<string, readonly HostileAnswer[]>([
    ["_spf.esp.test", [{ type: "TXT", data: "v=spf1 ip4:198.51.100.0/24 -all" }]],
  ]);
  for (const [stack, spec] of Object.entries(STACKS)) {
    for (const record of validateStack(stack, configOf(stack, spec)).records) {
      records.set(record.name, [...(records.get(record.name) ?? []), { type: "TXT", data: record.value }]);
    }
  }
  for (const spec of Object.values(STACKS)) {
    for (const [name, answers] of Object.entries(spec.served ?? {})) {
      if (answers === null) records.delete(name);
      else records.set(name, answers);
    }
  }
  return Object.fromEntries(records);
}

describe("actionable findings: sender-auth check against broken zones", () => {
  let server: HostileDns;
  let project: TempProject;
  const runs = new Map<string, Promise<CliResult>>();
  const run = (name: string): Promise<CliResult> => {
    const started = runs.get(name);
    assert.ok(started, name);
    return started;
  };

  before(async () => {
    server = await startHostileDns({ zone: mapZone(zone()), negativeTtl: 600 });
    project = createTempProject("sender-auth-findings-");
    for (const [stack, spec] of Object.entries(STACKS)) {
      const config = Object.fromEntries(
        Object.entries(configOf(stack, spec)).map(([key, value]) => [`sender-auth:${key}`, value]),
      );
      project.writeStack(stack, stringifyYaml({ config }, { lineWidth: 0 }));
    }
    const start = (name: string, args: readonly string[]): void => {
      const started = runCli(["check", ...args, "--resolver", server.address, "--no-pulumi"], {
        cwd: project.dir,
        env: { ...inheritedEnv(), SENDER_AUTH_NOW: NOW },
      });
      started.catch(() => undefined);
      runs.set(name, started);
    };
    start("table", ["wrongkey", "nodmarc", "nospf", "rua"]);
    start("json", ["wrongkey", "nodmarc", "nospf", "rua", "--format", "json"]);
    start("key files", [
      "keyfile",
      "wrongkey",
      "--key-file",
      `k1=${keyFile("ed25519-b")}`,
      "--key-file",
      `k2=${NOT_A_KEY}`,
      "--key-file",
      `s1=${keyFile("rsa-2048")}`,
    ]);
  });

  after(async () => {
    await Promise.allSettled(runs.values());
    await server.close();
    project.remove();
  });

  const abbreviated = (key: "rsa-2048" | "rsa-2048-b"): string => `v=DKIM1; k=rsa; p=(392 characters, ${PRINT[key]})`;

  it("a changed DKIM key (table): fingerprints, DNS's side and the config's named, the TTL left and until when; exit 1", async () => {
    const result = await run("table");
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stderr, "");
    const lines = result.stdout.split("\n");
    const at = lines.indexOf("wrongkey (wrongkey.test): 2 failed, 0 warnings, 6 ok");
    assert.equal(at, 0, result.stdout);
    assert.deepEqual(lines.slice(0, 16), [
      "wrongkey (wrongkey.test): 2 failed, 0 warnings, 6 ok",
      "  OK    wrongkey.test: SPF [ttl 300]",
      `  FAIL  s1._domainkey.wrongkey.test: DKIM s1: DNS serves key ${PRINT["rsa-2048-b"]}, config declares key ${PRINT["rsa-2048"]} [ttl 120]`,
      `        expected: ${abbreviated("rsa-2048")}`,
      `        served:   ${abbreviated("rsa-2048-b")}`,
      `        next:     ${deployHint("wrongkey", "TTL 120 s (until 10:02 UTC)")}`,
      "  OK    _dmarc.wrongkey.test: DMARC [ttl 300]",
      "  OK    spf: 1 DNS lookups of 10 (RFC 7208 §4.6.4)",
      "  OK    spf: 0 void lookups of 2 (RFC 7208 §4.6.4)",
      "  OK    spf: the TXT answer at wrongkey.test is 61 octets (under 450)",
      `  FAIL  dkim s1: DNS serves key ${PRINT["rsa-2048-b"]} (RSA 2048), config declares key ${PRINT["rsa-2048"]} (RSA 2048)`,
      `        expected: ${abbreviated("rsa-2048")}`,
      `        served:   ${abbreviated("rsa-2048-b")}`,
      `        next:     ${deployHint("wrongkey", "TTL 120 s (until 10:02 UTC)")}`,
      "  OK    dmarc: mailauth reads p=reject",
      "nodmarc (nodmarc.test): 2 failed, 0 warnings, 4 ok",
    ]);
    // No 392-character key anywhere in the table.
    assert.ok(!result.stdout.includes(fixtureKey("rsa-2048").publicKey), result.stdout);
    assert.ok(!result.stdout.includes(fixtureKey("rsa-2048-b").publicKey), result.stdout);
  });

  it("a missing DMARC record: the question named (not the tree walk's), the negative-caching TTL to wait for; no ok for DMARC", async () => {
    const lines = (await run("table")).stdout.split("\n");
    const at = lines.indexOf("nodmarc (nodmarc.test): 2 failed, 0 warnings, 4 ok");
    assert.deepEqual(lines.slice(at, at + 11), [
      "nodmarc (nodmarc.test): 2 failed, 0 warnings, 4 ok",
      "  OK    nodmarc.test: SPF [ttl 300]",
      "  FAIL  _dmarc.nodmarc.test: DMARC: not served (NXDOMAIN)",
      "        expected: v=DMARC1; p=reject; rua=mailto:dmarc@nodmarc.test",
      `        next:     ${missingHint("nodmarc", "the negative-caching TTL 600 s (until 10:10 UTC)")}`,
      "  OK    spf: 1 DNS lookups of 10 (RFC 7208 §4.6.4)",
      "  OK    spf: 0 void lookups of 2 (RFC 7208 §4.6.4)",
      "  OK    spf: the TXT answer at nodmarc.test is 60 octets (under 450)",
      "  FAIL  dmarc: no DMARC record at _dmarc.nodmarc.test (NXDOMAIN)",
      `        next:     ${missingHint("nodmarc", "the negative-caching TTL 600 s (until 10:10 UTC)")}`,
      "nospf (nospf.test): 2 failed, 0 warnings, 2 ok",
    ]);
  });

  it("no SPF record served: spf-missing, and no ok for SPF lookups, void lookups or size", async () => {
    const lines = (await run("table")).stdout.split("\n");
    const at = lines.indexOf("nospf (nospf.test): 2 failed, 0 warnings, 2 ok");
    assert.deepEqual(lines.slice(at, at + 10), [
      "nospf (nospf.test): 2 failed, 0 warnings, 2 ok",
      "  FAIL  nospf.test: SPF: DNS serves another value than the config declares [ttl 300]",
      "        expected: v=spf1 ip4:192.0.2.10 include:_spf.esp.test -all",
      "        served:   google-site-verification=abc",
      `        next:     ${deployHint("nospf", "TTL 300 s (until 10:05 UTC)")}`,
      "  OK    _dmarc.nospf.test: DMARC [ttl 300]",
      "  FAIL  spf: no SPF record at nospf.test (its one TXT record is not v=spf1)",
      `        next:     ${missingHint("nospf", "TTL 300 s (until 10:05 UTC)")}`,
      "  OK    dmarc: mailauth reads p=reject",
      "rua (rua.test): 1 failed, 0 warnings, 2 ok",
    ]);
  });

  it("an external report destination that does not authorise the domain: what to ask of whom, or what to remove", async () => {
    const lines = (await run("table")).stdout.split("\n");
    const at = lines.indexOf("rua (rua.test): 1 failed, 0 warnings, 2 ok");
    assert.deepEqual(lines.slice(at), [
      "rua (rua.test): 1 failed, 0 warnings, 2 ok",
      "  OK    _dmarc.rua.test: DMARC [ttl 300]",
      "  OK    dmarc: mailauth reads p=reject",
      '  FAIL  dmarc: reports.test does not publish rua.test._report._dmarc.reports.test TXT "v=DMARC1": receivers send it no reports (RFC 7489 §7.1)',
      "        next:     ask the operator of reports.test to publish it (a sender-auth stack for reports.test: add rua.test to its sender-auth:dmarc.authorizeReportsFor), or remove the address from sender-auth:dmarc.rua",
      "",
    ]);
  });

  it("JSON keeps the full values in expected and served, and the hint, for monitoring", async () => {
    const result = await run("json");
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "");
    const [wrongkey] = parseReports(result.stdout);
    assert.ok(wrongkey);
    assert.deepEqual(failures(wrongkey), [
      {
        subject: "s1._domainkey.wrongkey.test",
        ttl: 120,
        code: "record-different",
        result: "fail",
        message: `DKIM s1: DNS serves key ${PRINT["rsa-2048-b"]}, config declares key ${PRINT["rsa-2048"]}`,
        expected: dkim("rsa-2048"),
        served: [dkim("rsa-2048-b")],
        hint: deployHint("wrongkey", "TTL 120 s (until 10:02 UTC)"),
      },
      {
        code: "dkim-wrong-key",
        result: "fail",
        subject: "dkim s1",
        message: `DNS serves key ${PRINT["rsa-2048-b"]} (RSA 2048), config declares key ${PRINT["rsa-2048"]} (RSA 2048)`,
        expected: dkim("rsa-2048"),
        served: [dkim("rsa-2048-b")],
        hint: deployHint("wrongkey", "TTL 120 s (until 10:02 UTC)"),
      },
    ]);
  });

  it("--key-file with a key that is not the selector's: said so with both fingerprints, and which key to give (or that DNS is behind)", async () => {
    const result = await run("key files");
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stderr, "");
    const lines = result.stdout.split("\n");
    const signatures = lines.flatMap((line, i) =>
      line.startsWith("  FAIL  dkim ") && line.includes("the key in ") ? [line, lines[i + 1] ?? ""] : [],
    );
    assert.deepEqual(signatures, [
      `  FAIL  dkim k1: the key in ${keyFile("ed25519-b")} is not the key of selector k1: its public half has ${PRINT["ed25519-b"]}, DNS serves ${PRINT.ed25519}`,
      `        next:     give the private key of selector k1, whose public half has ${PRINT.ed25519}`,
      `  FAIL  dkim k2: the key in ${NOT_A_KEY} is not an unencrypted PEM private key`,
      "        next:     give a PEM private key (PKCS#8 or PKCS#1) of selector k2",
      // The config's key, while DNS still serves another: DNS is behind, not the key file.
      `  FAIL  dkim s1: the key in ${keyFile("rsa-2048")} is not the key of selector s1: its public half has ${PRINT["rsa-2048"]}, DNS serves ${PRINT["rsa-2048-b"]}`,
      `        next:     it is the key the config declares: ${deployHint("wrongkey", "TTL 120 s (until 10:02 UTC)")}`,
    ]);
    assert.ok(!result.stdout.includes("bad signature"), result.stdout);
    // The selectors' keys themselves are ok.
    assert.ok(lines.includes(`  OK    dkim k1: serves the configured key ${PRINT.ed25519} (Ed25519)`), result.stdout);
  });
});
