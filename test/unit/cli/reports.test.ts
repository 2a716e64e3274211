/**
 * `sender-auth reports` as a user runs it: the real binary, exact output, exit codes, usage
 * errors, the join with stacks of a temporary project, escaping of hostile report content, and
 * the memory a decompression bomb costs with the default bounds.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { ReportsResult } from "../../../cli/reports/render";
import { createTempProject, inheritedEnv, repoStackText, runCli, type TempProject } from "../../support/cli";
import { REPORT_FIXTURES, reportXml } from "../../support/reports";

/** The seed guide's setup on example.com: p=quarantine; pct=10; sp=quarantine; aspf=s; rua elsewhere. */
function seedStack(dmarc: Record<string, unknown> = {}): string {
  const doc = parseYaml(repoStackText("example-com")) as { config: Record<string, unknown> };
  const dkim = doc.config["sender-auth:dkim"] as { selectors: Record<string, unknown> };
  doc.config = {
    "sender-auth:domain": "example.com",
    "sender-auth:dns": { provider: "cloudflare", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" },
    "sender-auth:spf": { ip4: ["192.0.2.10"], ip6: ["2001:db8::/32"], all: "softfail" },
    "sender-auth:dkim": { selectors: { s202611a: dkim.selectors["s202611a"] } },
    "sender-auth:dmarc": {
      policy: "quarantine",
      subdomainPolicy: "quarantine",
      percent: 10,
      rua: ["mailto:dmarcmail@example.net"],
      alignmentSPF: "strict",
      ...dmarc,
    },
  };
  return stringifyYaml(doc);
}

const SEED_TABLE = [
  "example.com: 4 reports, 283 messages, DMARC pass 220 (77.7 %), fail 63",
  "  from: google.com (1 report, 165 messages), Yahoo (1 report, 52 messages), Enterprise Outlook (1 report, 45 messages), Example Receiver (1 report, 21 messages)",
  "  dates: 2026-10-01T00:00:00Z to 2026-10-02T23:59:59Z (2 days)",
  "  published (latest report): p=none; sp=none; np=none; t=n; adkim=r; aspf=r",
  "  SOURCE         MESSAGES  DMARC  SPF   DKIM  DISPOSITION  HEADER FROM                   DKIM d=/s= result",
  "  192.0.2.10     200       pass   pass  pass  none         example.com                   example.com/s202611a pass",
  "  209.85.220.41  40        fail   fail  fail  none         example.com                   example-com.20230601.gappssmtp.com/20230601 pass",
  "  192.0.2.10     20        pass   pass  pass  pass         example.com                   example.com/s202611a pass",
  "  167.89.0.1     12        fail   fail  fail  none         example.com                   sendgrid.net/smtpapi pass",
  "  192.0.2.200    6         fail   fail  fail  none         example.com,news.example.com",
  "  2001:db8::25   3         fail   fail  fail  none         example.com                   example.com/s202611a fail",
  "  203.0.113.9    2         fail   fail  fail  none         example.com                   example.com/s202611a fail",
  "  stack seed: p=quarantine; sp=quarantine; pct=10",
  "    next step (without pct=10): 63 messages would be quarantined, 0 rejected (2 of them excepted by receivers: mailing list, forwarding)",
  "      209.85.220.41  quarantine  40",
  "      167.89.0.1     quarantine  12",
  "      192.0.2.200    quarantine  6",
  "      2001:db8::25   quarantine  3",
  "      203.0.113.9    quarantine  2",
  "    failing sources:",
  "      209.85.220.41  40  Google Workspace  Google Workspace: turn on DKIM for the domain (Admin console: Apps > Google Workspace > Gmail > Authenticate email) and publish its key as a selector; mail from the primary domain passes SPF with include:_spf.google.com (https://dmarc.wiki/google-workspace)",
  "      167.89.0.1     12  SendGrid          SendGrid: authenticate the domain in SendGrid (CNAMEs for em####, s1._domainkey and s2._domainkey); an include in this domain's SPF record does not help (https://dmarc.wiki/sendgrid)",
  "      192.0.2.200    6   unknown           no authentication as this domain: spoofing, or a sender not set up yet",
  "      2001:db8::25   3   yours             this address is in the stack's SPF ip4/ip6 ranges, yet neither SPF nor DKIM passed aligned: check the MAIL FROM domain and DKIM signing on this host",
  "      203.0.113.9    2   forwarded         the receiver reported mailing_list: forwarded or list mail, not fixable by the sender",
  "    SPF: include:_spf.google.com (Google Workspace) would make 209.85.220.41 pass SPF aligned (40 messages)",
  "    recommendation (insufficient-data): 78.2 % aligned (2 forwarded or list messages left out) over 2 days (283 messages, 4 reporting organisations); remaining failures from 5 sources: 209.85.220.41 (Google Workspace, 40 messages), 167.89.0.1 (SendGrid, 12 messages), 192.0.2.200 (unknown, 6 messages), and 2 more; not enough data yet for p=quarantine; sp=quarantine (needs 30 days and 100 messages of reports)",
  "",
  "1 input without a report skipped (--format json lists them)",
].join("\n");

describe("reports CLI", () => {
  let project: TempProject;
  let dir: string;
  before(() => {
    project = createTempProject("sender-auth-reports-cli-");
    project.writeStack("seed", seedStack());
    project.writeStack("other", seedStack().replace("example.com", "example.org"));
    project.writeStack(
      "broken",
      seedStack({ policy: "block", alignmentSPF: "exact" }).replace("example.com", "example.net"),
    );
    dir = mkdtempSync(path.join(tmpdir(), "sender-auth-reports-in-"));
  });
  after(() => {
    project.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the table for the seed stack: sources, next step, fixes, recommendation; exit 0", async () => {
    const result = await runCli(["reports", REPORT_FIXTURES, "--stack", "seed"], { cwd: project.dir });
    assert.equal(result.stderr, "");
    assert.equal(result.stdout, `${SEED_TABLE}\n`);
    assert.equal(result.code, 0);
  });

  it("prints stable JSON with the documented fields", async () => {
    const result = await runCli(["reports", REPORT_FIXTURES, "--stack", "seed", "--format", "json"], {
      cwd: project.dir,
    });
    assert.equal(result.code, 0);
    const json = JSON.parse(result.stdout) as ReportsResult;
    assert.deepEqual(Object.keys(json), ["domains", "errors", "skipped", "summary"]);
    const [domain] = json.domains;
    assert.deepEqual(Object.keys(domain!), [
      "domain",
      "reports",
      "messages",
      "dmarcPass",
      "dmarcFail",
      "organisations",
      "dateRange",
      "policyPublished",
      "sources",
      "stack",
    ]);
    assert.deepEqual(Object.keys(domain!.sources[0]!), [
      "ip",
      "count",
      "dmarc",
      "spfAligned",
      "dkimAligned",
      "disposition",
      "dkimSelectors",
      "dkimDomains",
      "headerFrom",
      "envelopeFrom",
      "dkim",
      "spf",
      "reasons",
      "truncated",
    ]);
    assert.deepEqual(
      [domain!.domain, domain!.reports, domain!.messages, domain!.dmarcPass, domain!.dmarcFail],
      ["example.com", 4, 283, 220, 63],
    );
    assert.deepEqual(domain!.stack!.recommendation.verdict, "insufficient-data");
    assert.deepEqual(domain!.stack!.spfIncludes, [
      { include: "_spf.google.com", esp: "Google Workspace", sources: ["209.85.220.41"], messages: 40 },
    ]);
    assert.deepEqual(json.errors, []);
    assert.deepEqual(json.summary, { files: 5, reports: 4, duplicates: 0, beforeSince: 0 });
    // The same run gives the same bytes.
    const again = await runCli(["reports", REPORT_FIXTURES, "--stack", "seed", "--format", "json"], {
      cwd: project.dir,
    });
    assert.equal(again.stdout, result.stdout);
  });

  it("without --stack joins every stack that matches, lists stacks that ask for reports but got none, reports a broken stack", async () => {
    const result = await runCli(["reports", path.join(REPORT_FIXTURES, "google.xml"), "--format", "json"], {
      cwd: project.dir,
    });
    assert.equal(result.code, 1);
    const json = JSON.parse(result.stdout) as ReportsResult;
    assert.deepEqual(
      json.domains.map((d) => [d.domain, d.reports, d.stack?.stack, d.stack?.recommendation.verdict]),
      [
        ["example.com", 1, "seed", "insufficient-data"],
        ["example.org", 0, "other", "no-reports"],
      ],
    );
    // One error per problem of the broken stack (ConfigError.problems), each on its own line.
    const broken = path.join(project.stacksDir, "Pulumi.broken.yaml");
    const problems = [
      'stack broken: sender-auth:dmarc.alignmentSPF: is not an allowed value (got "exact"); allowed: relaxed, strict',
      'stack broken: sender-auth:dmarc.policy: is not an allowed value (got "block"); allowed: none, quarantine, reject',
    ];
    assert.deepEqual(
      json.errors,
      problems.map((message) => ({ file: broken, inside: [], message })),
    );
    assert.equal(result.stderr, problems.map((message) => `error: ${broken}: ${message}\n`).join(""));
  });

  it("works outside a project, without any join", async () => {
    const result = await runCli(["reports", path.join(REPORT_FIXTURES, "yahoo.xml"), "--format", "json"], { cwd: dir });
    assert.equal(result.code, 0);
    const json = JSON.parse(result.stdout) as ReportsResult;
    assert.deepEqual(
      json.domains.map((d) => [d.domain, d.messages, d.stack]),
      [["example.com", 52, null]],
    );
  });

  it("says so when no report was read, exit 0", async () => {
    const empty = mkdtempSync(path.join(dir, "empty-"));
    const result = await runCli(["reports", empty], { cwd: dir });
    assert.deepEqual(
      [result.code, result.stdout, result.stderr],
      [0, "no DMARC aggregate reports read from 0 files\n", ""],
    );
  });

  it("escapes control characters and direction overrides from reports and file names", async () => {
    const hostile = reportXml({ org: "evil&#x9b;31m&#x202e;gro", records: [{ ip: "192.0.2.1", count: 1 }] }).replace(
      /&amp;#x/g,
      "&#x",
    );
    const file = path.join(dir, "evil.xml");
    writeFileSync(file, hostile);
    const badName = path.join(dir, "bad\x1b[31mname.xml");
    writeFileSync(badName, "<html/>");
    const table = await runCli(["reports", file, badName], { cwd: dir });
    assert.equal(table.code, 1);
    assert.match(table.stdout, /^ {2}from: evil\\x9b31m\\u202egro \(1 report, 1 message\)$/m);
    // eslint-disable-next-line no-control-regex -- the raw characters must not be there
    assert.doesNotMatch(table.stdout, /[\x1b\x9b\u202e]/);
    assert.equal(
      table.stderr,
      `error: ${path.join(dir, "bad\\x1b[31mname.xml")}: not a DMARC aggregate report: the root element is <html>\n`,
    );
    const json = await runCli(["reports", file, badName, "--format", "json"], { cwd: dir });
    assert.match(json.stdout, /"name": "evil\\u009b31m\\u202egro"/);
    assert.match(json.stdout, /"file": ".*bad\\u001b\[31mname\.xml"/);
    // eslint-disable-next-line no-control-regex -- the raw characters must not be there
    assert.doesNotMatch(json.stdout, /[\x1b\x9b\u202e]/);
    const parsed = JSON.parse(json.stdout) as ReportsResult;
    assert.equal(parsed.domains[0]!.organisations[0]!.name, "evil\u009b31m\u202egro");
  });

  it("refuses a 1 GiB file unread and a gzip bomb at the default bounds, in bounded memory", async () => {
    const big = path.join(dir, "big.xml");
    writeFileSync(big, "<feedback>");
    truncateSync(big, 1024 ** 3);
    // 80 MiB of XML whitespace, 80 KiB of gzip: past the 64 MiB bound for one report.
    const bomb = path.join(dir, "bomb.xml.gz");
    writeFileSync(
      bomb,
      gzipSync(Buffer.concat([Buffer.from("<feedback>"), Buffer.alloc(80 * 1024 * 1024, 0x20)]), { level: 9 }),
    );
    const usage = path.join(dir, "usage.json");
    const env = {
      ...inheritedEnv(),
      NODE_OPTIONS: `--require ${path.join(__dirname, "..", "..", "support", "resourceUsage.cjs")}`,
      SENDER_AUTH_TEST_USAGE_FILE: usage,
    };
    const result = await runCli(["reports", big, bomb, path.join(REPORT_FIXTURES, "google.xml"), "--format", "json"], {
      cwd: dir,
      env,
    });
    assert.equal(result.code, 1);
    const json = JSON.parse(result.stdout) as ReportsResult;
    assert.deepEqual(
      json.errors.map((e) => [path.basename(e.file), e.message]),
      [
        ["big.xml", "is 1 GiB long; sender-auth reads at most 64 MiB for one report"],
        ["bomb.xml.gz", "the report is more than 64 MiB long; sender-auth reads at most 64 MiB for one report"],
      ],
    );
    assert.equal(json.summary.reports, 1);
    const { peakRssKiB } = JSON.parse(readFileSync(usage, "utf8")) as { peakRssKiB: number };
    // The CLI alone takes ~80 MB; a document held whole would add 80 MiB twice over (bytes and string).
    assert.ok(peakRssKiB < 200 * 1024, `peak RSS ${Math.round(peakRssKiB / 1024)} MiB`);
  });

  it("reads 250 files in worker threads (TypeScript loaded as the binary loads it) with the same output as in one thread", async () => {
    const many = mkdtempSync(path.join(dir, "many-"));
    for (let i = 0; i < 250; i++) {
      const xml = reportXml({
        reportId: `many-${i}`,
        domain: `brand${i % 3}.example`,
        begin: 1790812800 + (i % 10) * 86_400,
        records: [
          { ip: `198.51.100.${i % 40}`, count: 1 + (i % 9), dkim: i % 4 === 0 ? "fail" : "pass" },
          { ip: `2001:db8::${i % 7}`, count: 2, spf: "fail", dkim: "fail" },
        ],
      });
      writeFileSync(path.join(many, `r${String(i).padStart(3, "0")}.xml`), i === 77 ? xml.slice(0, 200) : xml);
    }
    const single = await runCli(["reports", many, "--workers", "0"], { cwd: dir });
    const pooled = await runCli(["reports", many, "--workers", "2"], { cwd: dir });
    assert.equal(single.code, 1);
    assert.match(single.stdout, /^brand0\.example: 84 reports, /);
    assert.match(single.stderr, /r077\.xml: not well-formed XML/);
    assert.deepEqual(pooled, single);
  });

  for (const [args, message] of [
    [["reports"], "error: missing required argument 'paths'"],
    [
      ["reports", ".", "--since", "2026-02-30"],
      "error: option '--since <YYYY-MM-DD>' argument '2026-02-30' is invalid. It must be a date as YYYY-MM-DD.",
    ],
    [
      ["reports", ".", "--since", "yesterday"],
      "error: option '--since <YYYY-MM-DD>' argument 'yesterday' is invalid. It must be a date as YYYY-MM-DD.",
    ],
    [
      ["reports", ".", "--format", "xml"],
      "error: option '--format <format>' argument 'xml' is invalid. Allowed choices are table, json.",
    ],
    [
      ["reports", ".", "--stack", "nope"],
      'error: --stack: no stack file for "nope" (stacks/Pulumi.nope.yaml); stacks: broken, other, seed',
    ],
    [
      ["reports", ".", "--workers", "two"],
      "error: option '--workers <n>' argument 'two' is invalid. It must be a whole number from 0 to 64.",
    ],
    [
      ["reports", ".", "--workers", "65"],
      "error: option '--workers <n>' argument '65' is invalid. It must be a whole number from 0 to 64.",
    ],
  ] as const) {
    it(`usage error: ${args.slice(1).join(" ") || "no paths"} → exit 2`, async () => {
      const result = await runCli(args, { cwd: project.dir });
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.split("\n")[0], message);
    });
  }

  it("--stack outside a project is a usage error", async () => {
    const result = await runCli(["reports", ".", "--stack", "seed"], { cwd: dir });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `error: no Pulumi.yaml in ${dir} or any parent directory\n`);
  });
});
