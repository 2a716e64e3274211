/**
 * `sender-auth check --mx-tls`, the real binary: the stacks' zones from the in-process DNS server
 * (test/support/hostileDns.ts, serving), their policies from the local HTTPS server, their MX hosts
 * at the local SMTP server with STARTTLS (test/support/smtpServer.ts, TEST-ONLY certificates), both
 * test CAs trusted through NODE_EXTRA_CA_CERTS, "now" pinned with SENDER_AUTH_NOW. Per stack: ok,
 * expiring soon, expired, another name, an untrusted CA, `testing` warning, `none` not probed; then
 * a server without STARTTLS, a refused port, a silent server under --stack-timeout, garbage, probing
 * off by default, `--planned` probing live, worker threads, and --help.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify as stringifyYaml } from "yaml";
import type { StackReport } from "../../../cli/commands/check";
import { validateStack } from "../../../components/config";
import { publishedRecord } from "../../../components/model";
import { mtaStsPolicyOf } from "../../../components/sections/mtaSts/records";
import { parseReports } from "../../support/checkReports";
import { createTempProject, inheritedEnv, runCli, type CliResult, type TempProject } from "../../support/cli";
import { mapZone, startHostileDns, type HostileAnswer, type HostileDns } from "../../support/hostileDns";
import { startHttpsServer, type LocalHttpsServer } from "../../support/httpsServer";
import { freePort } from "../../support/ports";
import { MX_TLS_CA, startRawServer, startSmtpServer, type LocalSmtpServer } from "../../support/smtpServer";

const NOW = "2036-12-01T00:00:00Z";
const ZONE_ID = "0123456789abcdef0123456789abcdef";

interface Spec {
  readonly domain: string;
  readonly mode: "enforce" | "testing" | "none";
  readonly mx: readonly string[];
}

const STACKS: Readonly<Record<string, Spec>> = {
  "sts-ok": { domain: "ok.test", mode: "enforce", mx: ["mail.example.test", "a.mx.example.test"] },
  "sts-soon": { domain: "soon.test", mode: "enforce", mx: ["soon.example.test"] },
  "sts-expired": { domain: "expired.test", mode: "enforce", mx: ["expired.example.test"] },
  "sts-wrong": { domain: "wrong.test", mode: "enforce", mx: ["wrong.example.test"] },
  "sts-untrusted": { domain: "untrusted.test", mode: "enforce", mx: ["untrusted.example.test"] },
  "sts-testing": { domain: "testing.test", mode: "testing", mx: ["expired.example.test"] },
  "sts-none": { domain: "none.test", mode: "none", mx: ["expired.example.test"] },
};

const configOf = (spec: Spec) => ({
  domain: spec.domain,
  dns: { provider: "cloudflare", zoneId: ZONE_ID, ttl: 300 },
  mtaSts: { mode: spec.mode, mx: [...spec.mx] },
});

/** Every domain's records, its MX hosts and its Policy Host, and every MX host at 127.0.0.1. */
function zone(): Record<string, HostileAnswer[]> {
  const records: Record<string, HostileAnswer[]> = {};
  const add = (name: string, answer: HostileAnswer): void => {
    (records[name] ??= []).push(answer);
  };
  for (const [stack, spec] of Object.entries(STACKS)) {
    for (const record of validateStack(stack, configOf(spec)).records.map(publishedRecord)) {
      add(record.name, { type: "TXT", data: record.value });
    }
    spec.mx.forEach((exchange, i) => {
      add(spec.domain, { type: "MX", data: { preference: 10 * (i + 1), exchange } });
      if (records[exchange] === undefined) add(exchange, { type: "A", data: "127.0.0.1" });
    });
    add(`mta-sts.${spec.domain}`, { type: "A", data: "127.0.0.1" });
  }
  return records;
}

const ENFORCE = "senders that apply the policy do not deliver there (RFC 8461 §4.1, §5)";

describe("sender-auth check --mx-tls against a local SMTP server", () => {
  let project: TempProject;
  let dns: HostileDns;
  let https: LocalHttpsServer;
  let smtp: LocalSmtpServer;
  let untouched: LocalSmtpServer;
  let plain: LocalSmtpServer;
  let silent: Awaited<ReturnType<typeof startRawServer>>;
  let garbage: Awaited<ReturnType<typeof startRawServer>>;
  let caDir: string;
  let env: NodeJS.ProcessEnv;
  const runs = new Map<string, Promise<CliResult & { ms: number }>>();

  const start = (name: string, args: readonly string[]): void => {
    let spawned = performance.now();
    const run = runCli(
      ["check", ...args, "--resolver", dns.address, "--https-port", String(https.port), "--no-pulumi"],
      {
        cwd: project.dir,
        env,
        timeoutMs: 60_000,
        onSpawn: () => {
          spawned = performance.now();
        },
      },
    ).then((result) => ({ ...result, ms: performance.now() - spawned }));
    run.catch(() => undefined);
    runs.set(name, run);
  };
  const result = (name: string): Promise<CliResult & { ms: number }> => {
    const run = runs.get(name);
    assert.ok(run !== undefined, `no run ${name}`);
    return run;
  };
  const reportsOf = async (name: string): Promise<StackReport[]> => parseReports((await result(name)).stdout);
  /** The --mx-tls findings of `stack` in run `name`: `result code | message`. */
  const tls = async (name: string, stack: string): Promise<string[]> => {
    const report = (await reportsOf(name)).find((r) => r.stack === stack);
    assert.ok(report !== undefined, `no report for ${stack} in ${name}`);
    return report.findings
      .filter(
        (f) =>
          /^mta-sts-mx-(tls|starttls|smtp)/.test(f.code) ||
          (f.code === "check-limit" && f.message.startsWith("MX host")),
      )
      .map((f) => `${f.result} ${f.code} | ${f.message}`);
  };

  before(async () => {
    project = createTempProject("sender-auth-mxtls-");
    for (const [stack, spec] of Object.entries(STACKS)) {
      project.writeStack(
        stack,
        stringifyYaml({
          config: Object.fromEntries(
            Object.entries(configOf(spec)).map(([key, value]) => [`sender-auth:${key}`, value]),
          ),
        }),
      );
    }
    const sites = Object.fromEntries(
      Object.entries(STACKS).map(([stack, spec]) => {
        const { config } = validateStack(stack, configOf(spec));
        const policy = config.mtaSts === undefined ? "" : mtaStsPolicyOf(config.mtaSts).text;
        return [`mta-sts.${spec.domain}`, { paths: { "/.well-known/mta-sts.txt": policy } }];
      }),
    );
    [dns, https, smtp, untouched, plain, silent, garbage] = await Promise.all([
      startHostileDns({ zone: mapZone(zone()) }),
      startHttpsServer(sites),
      startSmtpServer(),
      startSmtpServer(),
      startSmtpServer({ starttls: false }),
      startRawServer(() => undefined),
      startRawServer((socket) => socket.end("SSH-2.0-OpenSSH_9.6\r\n")),
    ]);
    // One file for both test CAs: the HTTPS server's (made at its start) and the MX certificates'.
    caDir = mkdtempSync(path.join(tmpdir(), "sender-auth-mxtls-ca-"));
    const caFile = path.join(caDir, "cas.pem");
    writeFileSync(caFile, https.ca + MX_TLS_CA);
    env = { ...inheritedEnv(), NODE_EXTRA_CA_CERTS: caFile, SENDER_AUTH_NOW: NOW };
    const json = ["--format", "json"];
    const refused = await freePort();
    start("all", ["--mx-tls", "--smtp-port", String(smtp.port), ...json]);
    start("off", ["sts-ok", "sts-expired", "--smtp-port", String(untouched.port), ...json]);
    start("no starttls", ["sts-ok", "--mx-tls", "--smtp-port", String(plain.port), ...json]);
    start("refused", ["sts-ok", "--mx-tls", "--smtp-port", String(refused)]);
    start("silent", ["sts-ok", "--mx-tls", "--smtp-port", String(silent.port), "--stack-timeout", "3", ...json]);
    start("garbage", ["sts-ok", "--mx-tls", "--smtp-port", String(garbage.port), ...json]);
    start("planned", ["sts-ok", "sts-expired", "--planned", "--mx-tls", "--smtp-port", String(smtp.port), ...json]);
    start("workers", [
      "sts-ok",
      "sts-expired",
      "--workers",
      "2",
      "--mx-tls",
      "--smtp-port",
      String(smtp.port),
      ...json,
    ]);
    start("help", ["--help"]);
  });

  after(async () => {
    await Promise.allSettled([...runs.values()]);
    await Promise.all([
      dns.close(),
      https.stop(),
      smtp.stop(),
      untouched.stop(),
      plain.stop(),
      silent.close(),
      garbage.close(),
    ]);
    rmSync(caDir, { recursive: true, force: true });
    project.remove();
  });

  it("exits 1 with a report per stack; the valid certificates are ok, with SNI the MX host", async () => {
    const run = await result("all");
    assert.equal(run.code, 1, run.stderr);
    const reports = await reportsOf("all");
    assert.deepEqual(reports.map((r) => r.stack).sort(), Object.keys(STACKS).sort());
    assert.equal(reports.find((r) => r.stack === "sts-ok")?.ok, true);
    const at = `(127.0.0.1 port ${smtp.port})`;
    assert.deepEqual(await tls("all", "sts-ok"), [
      `ok mta-sts-mx-tls | MX host mail.example.test ${at}: STARTTLS (TLSv1.3) with a valid certificate, issued by CN=sender-auth test-only MX CA, expires 2126-01-01 (32537 days left)`,
      `ok mta-sts-mx-tls | MX host a.mx.example.test ${at}: STARTTLS (TLSv1.3) with a valid certificate, issued by CN=sender-auth test-only MX CA, expires 2126-01-01 (32537 days left)`,
    ]);
    assert.ok(smtp.servernames().includes("a.mx.example.test"));
  });

  it("expiring within 14 days (by SENDER_AUTH_NOW): a warning; expired, another name, untrusted: fail", async () => {
    const at = `(127.0.0.1 port ${smtp.port})`;
    assert.deepEqual(await tls("all", "sts-soon"), [
      `warn mta-sts-mx-tls-expiring | MX host soon.example.test ${at}: its certificate expires 2036-12-10 (9 days left): once it has, ${ENFORCE}`,
    ]);
    assert.deepEqual(await tls("all", "sts-expired"), [
      `fail mta-sts-mx-tls-expired | MX host expired.example.test ${at}: its certificate expired 2021-01-01 (5813 days ago): ${ENFORCE}`,
    ]);
    assert.deepEqual(await tls("all", "sts-wrong"), [
      `fail mta-sts-mx-tls-name | MX host wrong.example.test ${at}: its certificate is not valid for wrong.example.test (its subjectAltName: DNS:other.example.org): ${ENFORCE}`,
    ]);
    assert.deepEqual(await tls("all", "sts-untrusted"), [
      `fail mta-sts-mx-tls-untrusted | MX host untrusted.example.test ${at}: its certificate does not chain to a trusted root (SELF_SIGNED_CERT_IN_CHAIN; issued by CN=sender-auth untrusted test-only CA): ${ENFORCE}`,
    ]);
    const reports = await reportsOf("all");
    assert.equal(reports.find((r) => r.stack === "sts-soon")?.ok, true);
    assert.equal(reports.find((r) => r.stack === "sts-expired")?.ok, false);
  });

  it("mode testing: the expired certificate is a warning; mode none: not probed", async () => {
    assert.deepEqual(await tls("all", "sts-testing"), [
      `warn mta-sts-mx-tls-expired | MX host expired.example.test (127.0.0.1 port ${smtp.port}): its certificate expired 2021-01-01 (5813 days ago): senders that apply the policy deliver there but report a failure (RFC 8461 §5)`,
    ]);
    assert.deepEqual(await tls("all", "sts-none"), []);
  });

  it("without --mx-tls: no probe, no connection, an expired MX certificate unnoticed as before", async () => {
    const run = await result("off");
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(await tls("off", "sts-ok"), []);
    assert.deepEqual(await tls("off", "sts-expired"), []);
    assert.equal(untouched.connections(), 0);
  });

  it("no STARTTLS offered: fail per MX host", async () => {
    const run = await result("no starttls");
    assert.equal(run.code, 1, run.stderr);
    const at = `(127.0.0.1 port ${plain.port})`;
    assert.deepEqual(await tls("no starttls", "sts-ok"), [
      `fail mta-sts-mx-starttls-missing | MX host mail.example.test ${at}: does not offer STARTTLS in its EHLO reply: ${ENFORCE}`,
      `fail mta-sts-mx-starttls-missing | MX host a.mx.example.test ${at}: does not offer STARTTLS in its EHLO reply: ${ENFORCE}`,
    ]);
  });

  it("port refused: a warning in the table that port 25 may be blocked from here, exit 0", async () => {
    const run = await result("refused");
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const lines = run.stdout.split("\n").filter((line) => line.includes("could not connect"));
    assert.equal(lines.length, 2, run.stdout);
    assert.match(
      lines[0] ?? "",
      /^ {2}WARN {2}mta-sts: MX host mail\.example\.test \(127\.0\.0\.1 port \d+\): could not connect \(connection refused\): outbound port 25 may be blocked from here; its STARTTLS certificate is unverified$/,
    );
    assert.match(run.stdout, /^sts-ok \(ok\.test\): ok \(\d+ checks, 2 warnings\)$/m);
    assert.match(run.stdout, /next: {5}run `check --mx-tls` where outbound port 25 is open/);
  });

  it("a server that never answers: cut at the stack's deadline, check-limit, within bounds", async () => {
    const run = await result("silent");
    assert.equal(run.code, 1, run.stderr);
    const at = `(127.0.0.1 port ${silent.port})`;
    const report = (await reportsOf("silent"))[0];
    assert.ok(report !== undefined);
    assert.ok(!report.findings.some((f) => f.code === "mta-sts-mx-tls"));
    // On a loaded machine the deadline may already cut the MX lookup; once the hosts are known, each
    // probe ends at the deadline as check-limit.
    if (report.findings.some((f) => f.code === "mta-sts-mx")) {
      assert.deepEqual(await tls("silent", "sts-ok"), [
        `fail check-limit | MX host mail.example.test ${at}: STARTTLS probe cut short at the 3 s deadline for checking one stack`,
        `fail check-limit | MX host a.mx.example.test ${at}: STARTTLS probe cut short at the 3 s deadline for checking one stack`,
      ]);
    } else assert.ok(report.findings.some((f) => f.code === "check-limit"));
    // 3 s of deadline, plus start-up on a busy machine.
    assert.ok(run.ms < 20_000, `took ${run.ms} ms`);
  });

  it("a server that answers garbage: fail, quoting what it sent", async () => {
    const run = await result("garbage");
    assert.equal(run.code, 1, run.stderr);
    const lines = await tls("garbage", "sts-ok");
    assert.equal(lines.length, 2);
    assert.equal(
      lines[0],
      `fail mta-sts-mx-smtp-error | MX host mail.example.test (127.0.0.1 port ${garbage.port}): sent "SSH-2.0-OpenSSH_9.6", which is not an SMTP reply line (RFC 5321 §4.2), waiting for the greeting: its STARTTLS certificate is unverified, and senders cannot deliver there either`,
    );
  });

  it("--planned: the planned records in process, the MX hosts probed live, the same findings", async () => {
    const run = await result("planned");
    assert.equal(run.code, 1, run.stderr);
    const reports = await reportsOf("planned");
    assert.deepEqual(
      reports.map((r) => [r.stack, r.planned]),
      [
        ["sts-ok", true],
        ["sts-expired", true],
      ],
    );
    assert.deepEqual(await tls("planned", "sts-ok"), await tls("all", "sts-ok"));
    assert.deepEqual(await tls("planned", "sts-expired"), await tls("all", "sts-expired"));
  });

  it("--workers 2: the probe runs in worker threads with the same findings", async () => {
    const run = await result("workers");
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(await tls("workers", "sts-ok"), await tls("all", "sts-ok"));
    assert.deepEqual(await tls("workers", "sts-expired"), await tls("all", "sts-expired"));
  });

  it("--help documents --mx-tls and hides the test setups' --smtp-port", async () => {
    const run = await result("help");
    assert.equal(run.code, 0);
    const text = run.stdout.replace(/\s+/g, " ");
    assert.match(
      text,
      / --mx-tls also connect to the MX hosts of MTA-STS domains on port 25 and verify their STARTTLS certificates \(many networks block outbound port 25\) \(default: false\) /,
    );
    assert.doesNotMatch(run.stdout, /--smtp-port/);
  });
});
