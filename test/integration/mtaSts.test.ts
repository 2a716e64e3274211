/**
 * End to end: MTA-STS records and `sender-auth check` against a real BIND and the local HTTPS server
 * (test/support/httpsServer.ts, a throwaway test CA through NODE_EXTRA_CA_CERTS). Five stacks are
 * planned by the real CLI (`plan --format json`: records and each stack's `mtaStsPolicy`); BIND
 * serves their records (from the plan), MX records and `mta-sts.<domain>` at 127.0.0.1; the HTTPS
 * server serves each domain's policy (the planned one, a different one, or none). One spawned
 * `check --resolver <BIND> --https-port <server>` then reports, per stack: ok, a policy that differs,
 * a stale id, MX hosts the patterns miss, no policy. A sixth stack's MX hosts (in a zone of their
 * own, at 127.0.0.1) are probed with `check --mx-tls` at the local SMTP server with STARTTLS
 * (test/support/smtpServer.ts, TEST-ONLY certificates; both test CAs through NODE_EXTRA_CA_CERTS):
 * a valid certificate is ok, an expired one fails.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify as stringifyYaml } from "yaml";
import type { StackReport } from "../../cli/commands/check";
import { namedAvailable, skipOrFailWithoutNamed, startBind, txtRdata, type BindServer } from "../support/bind";
import { parseReports } from "../support/checkReports";
import { createTempProject, runCli, type CliResult, type TempProject } from "../support/cli";
import { startHttpsServer, type LocalHttpsServer } from "../support/httpsServer";
import { MX_TLS_CA, startSmtpServer, type LocalSmtpServer } from "../support/smtpServer";

const ZONE_ID = "0123456789abcdef0123456789abcdef";
const PATH = "/.well-known/mta-sts.txt";

interface Spec {
  readonly domain: string;
  readonly mx: readonly string[];
  /** What the HTTPS server serves: the planned policy, another text, or nothing. */
  readonly serve: "planned" | "testing" | "none";
  /** Serve another id in DNS than the plan's. */
  readonly staleId?: boolean;
  /** The policy's mx patterns. @default mail.<domain>, *.mx.<domain> */
  readonly patterns?: readonly string[];
}

const STACKS: Readonly<Record<string, Spec>> = {
  "sts-ok": { domain: "sts-ok.test", mx: ["mail.sts-ok.test", "b.mx.sts-ok.test"], serve: "planned" },
  "sts-differs": { domain: "sts-differs.test", mx: ["mail.sts-differs.test"], serve: "testing" },
  "sts-stale": { domain: "sts-stale.test", mx: ["mail.sts-stale.test"], serve: "planned", staleId: true },
  "sts-mx": { domain: "sts-mx.test", mx: ["mail.sts-mx.test", "mx.elsewhere.example"], serve: "planned" },
  "sts-missing": { domain: "sts-missing.test", mx: ["mail.sts-missing.test"], serve: "none" },
  // MX hosts named as the fixture certificates name them (test/fixtures/mx-tls).
  "sts-tls": {
    domain: "sts-tls.test",
    mx: ["mail.example.test", "expired.example.test"],
    serve: "planned",
    patterns: ["mail.example.test", "expired.example.test"],
  },
};

const mtaStsOf = (spec: Spec) => ({
  mode: "enforce",
  mx: spec.patterns ?? [`mail.${spec.domain}`, `*.mx.${spec.domain}`],
});

function stackFile(spec: Spec): string {
  return stringifyYaml({
    config: {
      "sender-auth:domain": spec.domain,
      "sender-auth:dns": { provider: "cloudflare", zoneId: ZONE_ID, ttl: 300 },
      "sender-auth:mtaSts": mtaStsOf(spec),
    },
  });
}

interface PlannedStack {
  readonly stack: string;
  readonly records: readonly { name: string; type: string; value: string }[];
  readonly mtaStsPolicy?: string;
}

let project: TempProject | undefined;
let bind: BindServer | undefined;
let https: LocalHttpsServer | undefined;
let planned: PlannedStack[] = [];
let smtp: LocalSmtpServer | undefined;
let caDir: string | undefined;
let checked: CliResult | undefined;
let probed: CliResult | undefined;
let reports: StackReport[] = [];

const reportOf = (stack: string): StackReport => {
  const report = reports.find((r) => r.stack === stack);
  assert.ok(report !== undefined, `no report for ${stack}`);
  return report;
};
const line = (f: StackReport["findings"][number]): string => `${f.result} ${f.code} ${f.subject}`;
const policyOf = (stack: string): string => planned.find((p) => p.stack === stack)?.mtaStsPolicy ?? "";

describe("MTA-STS against a real BIND and a local HTTPS server", () => {
  before(async () => {
    if (!namedAvailable()) return;
    project = createTempProject("sender-auth-mtasts-");
    for (const [stack, spec] of Object.entries(STACKS)) project.writeStack(stack, stackFile(spec));
    const plan = await runCli(["plan", "--format", "json"], { cwd: project.dir });
    assert.equal(plan.code, 0, plan.stderr);
    planned = JSON.parse(plan.stdout) as PlannedStack[];
    const zones = Object.entries(STACKS).map(([stack, spec]) => {
      const records = planned.find((p) => p.stack === stack)?.records ?? [];
      const lines = records.map((r) => {
        const value = spec.staleId === true ? "v=STSv1; id=20250101000000" : r.value;
        return `${r.name}. 300 IN ${r.type} ${txtRdata(value)}`;
      });
      spec.mx.forEach((host, i) => lines.push(`@ 300 IN MX ${10 * (i + 1)} ${host}.`));
      lines.push("mta-sts 300 IN A 127.0.0.1");
      return { origin: spec.domain, body: lines.join("\n") };
    });
    zones.push({ origin: "example.test", body: "mail 300 IN A 127.0.0.1\nexpired 300 IN A 127.0.0.1" });
    bind = await startBind(zones);
    https = await startHttpsServer(
      Object.fromEntries(
        Object.entries(STACKS).map(([stack, spec]) => [
          `mta-sts.${spec.domain}`,
          {
            paths:
              spec.serve === "none"
                ? {}
                : {
                    [PATH]: spec.serve === "planned" ? policyOf(stack) : policyOf(stack).replace("enforce", "testing"),
                  },
          },
        ]),
      ),
    );
    checked = await runCli(
      [
        "check",
        "--resolver",
        `127.0.0.1:${bind.port}`,
        "--https-port",
        String(https.port),
        "--no-pulumi",
        "--format",
        "json",
      ],
      { cwd: project.dir, env: https.env() },
    );
    reports = parseReports(checked.stdout);
    smtp = await startSmtpServer();
    // One file for both test CAs: the HTTPS server's and the MX certificates'.
    caDir = mkdtempSync(path.join(tmpdir(), "sender-auth-mxtls-ca-"));
    writeFileSync(path.join(caDir, "cas.pem"), https.ca + MX_TLS_CA);
    probed = await runCli(
      [
        "check",
        "sts-tls",
        "--mx-tls",
        "--smtp-port",
        String(smtp.port),
        "--resolver",
        `127.0.0.1:${bind.port}`,
        "--https-port",
        String(https.port),
        "--no-pulumi",
        "--format",
        "json",
      ],
      { cwd: project.dir, env: { ...https.env(), NODE_EXTRA_CA_CERTS: path.join(caDir, "cas.pem") } },
    );
  });

  after(async () => {
    await Promise.all([bind?.stop(), https?.stop(), smtp?.stop()]);
    if (caDir !== undefined) rmSync(caDir, { recursive: true, force: true });
    project?.remove();
  });

  it("plan: each stack's mtaStsPolicy is the declared policy, its record v=STSv1 with a 32-digit id", (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    assert.equal(
      policyOf("sts-ok"),
      "version: STSv1\r\nmode: enforce\r\nmx: mail.sts-ok.test\r\nmx: *.mx.sts-ok.test\r\nmax_age: 604800\r\n",
    );
    const record = planned.find((p) => p.stack === "sts-ok")?.records[0];
    assert.equal(record?.name, "_mta-sts.sts-ok.test");
    assert.match(record.value, /^v=STSv1; id=[0-9a-f]{32}$/);
  });

  it("BIND serves the planned record exactly", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const answer = (await bind?.resolve("_mta-sts.sts-ok.test", "TXT")) as string[][];
    const record = planned.find((p) => p.stack === "sts-ok")?.records[0];
    assert.deepEqual(
      answer.map((chunks) => chunks.join("")),
      [record?.value],
    );
  });

  it("check exits 1 (some stacks fail) and every stack has a report", (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    assert.equal(checked?.code, 1, checked?.stderr);
    assert.deepEqual(reports.map((r) => r.stack).sort(), Object.keys(STACKS).sort());
  });

  it("the planned policy served, MX hosts matching: ok", (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const report = reportOf("sts-ok");
    assert.deepEqual(report.findings.map(line), [
      "ok record-ok _mta-sts.sts-ok.test",
      "ok mta-sts-policy mta-sts",
      "ok mta-sts-mx mta-sts",
    ]);
    assert.equal(report.ok, true);
    // Fetched over TLS with the Policy Host as server name and Host header.
    assert.ok(
      https?.requests().some((r) => r.host === "mta-sts.sts-ok.test" && r.servername === "mta-sts.sts-ok.test"),
    );
  });

  it("a policy that differs from the declared one: fail, with the served and declared texts and a hint", (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const finding = reportOf("sts-differs").findings.find((f) => f.code === "mta-sts-policy-different");
    assert.equal(
      finding?.message,
      "the policy at https://mta-sts.sts-differs.test/.well-known/mta-sts.txt is not the declared one: mode testing, not enforce; " +
        "senders that fetch it now keep it under the declared id for up to max_age (604800 s)",
    );
    assert.equal(finding.expected, policyOf("sts-differs"));
    assert.deepEqual(finding.served, [policyOf("sts-differs").replace("enforce", "testing")]);
    assert.match(
      finding.hint ?? "",
      /^serve the declared policy, `pulumi stack output mtaStsPolicy --stack sts-differs`/,
    );
  });

  it("a stale id in DNS: the record differs and mta-sts-id-stale explains it", (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const findings = reportOf("sts-stale").findings;
    assert.deepEqual(findings.map(line), [
      "fail record-different _mta-sts.sts-stale.test",
      "fail mta-sts-id-stale mta-sts",
      "ok mta-sts-policy mta-sts",
      "ok mta-sts-mx mta-sts",
    ]);
    assert.match(findings[1]?.message ?? "", /^_mta-sts\.sts-stale\.test announces policy id 20250101000000, /);
    assert.match(findings[1]?.hint ?? "", /^run `pulumi up --stack sts-stale`/);
  });

  it("an MX host the patterns miss: fail naming it", (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const finding = reportOf("sts-mx").findings.find((f) => f.code === "mta-sts-mx-unmatched");
    assert.equal(finding?.result, "fail");
    assert.deepEqual(finding.served, ["mx.elsewhere.example"]);
    assert.equal(
      finding.message,
      "MX host mx.elsewhere.example matches none of the mx patterns (mail.sts-mx.test, *.mx.sts-mx.test): " +
        "senders that apply the policy do not deliver there (RFC 8461 §4.1, §5)",
    );
  });

  it("check --mx-tls: the MX hosts' addresses from BIND, a valid certificate ok, an expired one failing", (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    assert.equal(probed?.code, 1, probed?.stderr);
    const [report] = parseReports(probed.stdout);
    assert.equal(report?.stack, "sts-tls");
    assert.deepEqual(report.findings.map(line), [
      "ok record-ok _mta-sts.sts-tls.test",
      "ok mta-sts-policy mta-sts",
      "ok mta-sts-mx mta-sts",
      "ok mta-sts-mx-tls mta-sts",
      "fail mta-sts-mx-tls-expired mta-sts",
    ]);
    assert.match(
      report.findings[3]?.message ?? "",
      new RegExp(
        `^MX host mail\\.example\\.test \\(127\\.0\\.0\\.1 port ${smtp?.port ?? 0}\\): STARTTLS \\(TLSv1\\.3\\) with a valid certificate, ` +
          "issued by CN=sender-auth test-only MX CA, expires 2126-01-01 \\(\\d+ days left\\)$",
      ),
    );
    assert.match(
      report.findings[4]?.message ?? "",
      /^MX host expired\.example\.test \(127\.0\.0\.1 port \d+\): its certificate expired 2021-01-01 \(\d+ days ago\): senders that apply the policy do not deliver there/,
    );
    assert.deepEqual(smtp?.servernames().slice().sort(), ["expired.example.test", "mail.example.test"]);
  });

  it("no policy served (404): fail with a hint", (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const finding = reportOf("sts-missing").findings.find((f) => f.code === "mta-sts-policy-missing");
    assert.equal(
      finding?.message,
      "https://mta-sts.sts-missing.test/.well-known/mta-sts.txt answered 404: senders take a policy only from a 200 (RFC 8461 §3.3), so they find none",
    );
    assert.match(finding.hint ?? "", /^serve the declared policy/);
  });
});
