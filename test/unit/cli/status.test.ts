/**
 * `sender-auth status` end to end (issue #14): the real binary spawned on a fleet of stacks of mixed
 * age and rotation state, a broken and an unreadable one among them (test/support/fleet.ts), with
 * SENDER_AUTH_NOW pinned and no `pulumi` on PATH; exact table, exact JSON, exact exit codes. With
 * --reports, DMARC aggregate reports decide whether a retired key may be revoked and add the
 * recommendation.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { createTempProject, describeResult, inheritedEnv, runCli, type TempProject } from "../../support/cli";
import { dayStart, FLEET, FLEET_NOW, writeFleet, writeRetiredReport, writeRevokeEvidence } from "../../support/fleet";
import { reportXml } from "../../support/reports";

let project: TempProject;

/** Only node on PATH: status needs no Pulumi CLI. */
function env(): NodeJS.ProcessEnv {
  return { ...inheritedEnv(), SENDER_AUTH_NOW: FLEET_NOW, PATH: path.dirname(process.execPath) };
}

const status = (...args: string[]) => runCli(["status", ...args], { cwd: project.dir, env: env() });

before(() => {
  project = createTempProject("sender-auth-status-");
  writeFleet(project);
});
after(() => {
  project.remove();
});

const TABLE = `STACK         DOMAIN           PROVIDER    DMARC           SELECTORS                                                      ROTATION                WARNINGS  PROBLEMS
a-fresh       fresh.test       cloudflare  p=none; pct=10  s202705a active rsa-2048 31d                                   start from 2027-10-29   1         0
b-old         old.test         cloudflare  p=reject        s202611a active rsa-2048 212d                                  start due               1         0
c-custom-age  custom.test      cloudflare  p=reject        s202705a active rsa-2048 31d                                   start due               1         0
d-publishing  publishing.test  cloudflare  p=reject        s202611a active rsa-2048 212d, s202705a published rsa-2048 2d  activate due            1         0
e-overlap     overlap.test     cloudflare  p=reject        s202611a retired rsa-2048 212d, s202705a active rsa-2048 5d    revoke from 2027-06-04  0         0
f-retired     retired.test     cloudflare  p=reject        s202611a retired rsa-2048 212d, s202705a active rsa-2048 24d   revoke waiting          0         0
g-revoked     revoked.test     cloudflare  p=reject        s202611a revoked rsa-2048 212d, s202705a active rsa-2048 24d   remove due              0         0
h-undated     undated.test     cloudflare  p=reject        s1 active rsa-2048                                             start not due           0         0
i-cname       cname.test       cloudflare  p=reject        s1 active cname                                                -                       0         0
j-broken      broken.test      -           -               s202611a active rsa-2048 212d                                  -                       0         3
k-unreadable  -                -           -               -                                                              -                       0         1

a-fresh: rotation: s202705a is 31 days old (sender-auth:dkim.maxKeyAgeDays 180)
b-old: rotation: s202611a is 212 days old, over sender-auth:dkim.maxKeyAgeDays 180
c-custom-age: rotation: s202705a is 31 days old, over sender-auth:dkim.maxKeyAgeDays 30
d-publishing: rotation: s202705a is published: it is activated once DNS serves it
e-overlap: rotation: s202611a was retired on 2027-05-28; mail signed with it may still be in flight, so it can be revoked from 2027-06-04 (--overlap-days 7)
f-retired: rotation: waiting: revoking s202611a needs evidence that no mail is still signed with it: DMARC aggregate reports (--reports PATH) from 2027-05-25 showing only s202705a signing, or approve it (rotate --due --approve-revoke <stack>)
g-revoked: rotation: s202611a is revoked: it is removed once DNS serves its revocation
h-undated: rotation: s1 has no createdAt, so its age is unknown: set sender-auth:dkim.selectors.s1.createdAt, or rotate by hand
i-cname: rotation: no DKIM keys of its own (CNAME selectors are rotated by their provider)
j-broken: problem: sender-auth:dns.provider: is not an allowed value (got "gandi"); allowed: cloudflare, route53
j-broken: problem: sender-auth:dkim.maxKeyAgeDays: is out of range (got 0); allowed: a whole number of days, at least 1
j-broken: problem: sender-auth:dmarc.policy: is not an allowed value (got "block"); allowed: none, quarantine, reject
k-unreadable: problem: stacks/Pulumi.k-unreadable.yaml: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1:

4 stacks with warnings: --format json lists them
`;

describe("sender-auth status", () => {
  it("shows one row per stack, a broken one as a row with its problems, and exits 1", async () => {
    const result = await status();
    assert.equal(result.stdout, TABLE, describeResult(result));
    assert.equal(result.stderr, "error: 2 of 11 stacks have problems: j-broken, k-unreadable\n");
    assert.equal(result.code, 1);
  });

  it("--format json: the issue's shape, every stack's rotation", async () => {
    const result = await status("--format", "json");
    assert.equal(result.code, 1, describeResult(result));
    const rows = JSON.parse(result.stdout) as { stack: string; rotation: unknown }[];
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.stack, r.rotation])), {
      "a-fresh": {
        due: false,
        next: "start",
        notBefore: "2027-10-29",
        reason: "s202705a is 31 days old (sender-auth:dkim.maxKeyAgeDays 180)",
      },
      "b-old": {
        due: true,
        next: "start",
        notBefore: "2027-05-01",
        reason: "s202611a is 212 days old, over sender-auth:dkim.maxKeyAgeDays 180",
      },
      "c-custom-age": {
        due: true,
        next: "start",
        notBefore: "2027-06-01",
        reason: "s202705a is 31 days old, over sender-auth:dkim.maxKeyAgeDays 30",
      },
      "d-publishing": {
        due: true,
        next: "activate",
        reason: "s202705a is published: it is activated once DNS serves it",
      },
      "e-overlap": {
        due: false,
        next: "revoke",
        notBefore: "2027-06-04",
        reason:
          "s202611a was retired on 2027-05-28; mail signed with it may still be in flight, so it can be revoked from 2027-06-04 (--overlap-days 7)",
      },
      "f-retired": {
        due: false,
        next: "revoke",
        notBefore: "2027-05-17",
        reason:
          "waiting: revoking s202611a needs evidence that no mail is still signed with it: DMARC aggregate reports (--reports PATH) from 2027-05-25 showing only s202705a signing, or approve it (rotate --due --approve-revoke <stack>)",
      },
      "g-revoked": {
        due: true,
        next: "remove",
        reason: "s202611a is revoked: it is removed once DNS serves its revocation",
      },
      "h-undated": {
        due: false,
        next: "start",
        reason:
          "s1 has no createdAt, so its age is unknown: set sender-auth:dkim.selectors.s1.createdAt, or rotate by hand",
      },
      "i-cname": {
        due: false,
        next: null,
        reason: "no DKIM keys of its own (CNAME selectors are rotated by their provider)",
      },
      "j-broken": { due: false, next: null, reason: "the stack config is invalid: fix its problems first" },
      "k-unreadable": { due: false, next: null, reason: "the stack config is invalid: fix its problems first" },
    });
    assert.deepEqual(rows[0], {
      stack: "a-fresh",
      domain: "fresh.test",
      provider: "cloudflare",
      dmarc: { policy: "none", subdomainPolicy: null, testing: false, percent: 10 },
      selectors: [
        {
          selector: "s202705a",
          status: "active",
          algorithm: "rsa",
          bits: 2048,
          createdAt: "2027-05-01",
          ageDays: 31,
        },
      ],
      rotation: rows[0]?.rotation,
      warnings: [
        "sender-auth:dmarc.percent: pct= comes from RFC 7489 and was removed by RFC 9989, whose receivers ignore it; to stage enforcement use testing: true (t=y) instead",
      ],
      problems: [],
    });
    assert.deepEqual(
      rows.find((r) => r.stack === "j-broken"),
      {
        stack: "j-broken",
        domain: "broken.test",
        provider: null,
        dmarc: null,
        selectors: [
          {
            selector: "s202611a",
            status: "active",
            algorithm: "rsa",
            bits: 2048,
            createdAt: "2026-11-01",
            ageDays: 212,
          },
        ],
        rotation: { due: false, next: null, reason: "the stack config is invalid: fix its problems first" },
        warnings: [],
        problems: [
          'sender-auth:dns.provider: is not an allowed value (got "gandi"); allowed: cloudflare, route53',
          "sender-auth:dkim.maxKeyAgeDays: is out of range (got 0); allowed: a whole number of days, at least 1",
          'sender-auth:dmarc.policy: is not an allowed value (got "block"); allowed: none, quarantine, reject',
        ],
      },
    );
    assert.deepEqual(
      rows.find((r) => r.stack === "i-cname"),
      {
        stack: "i-cname",
        domain: "cname.test",
        provider: "cloudflare",
        dmarc: { policy: "reject", subdomainPolicy: null, testing: false, percent: null },
        selectors: [{ selector: "s1", status: "active", algorithm: null, bits: null, createdAt: null, ageDays: null }],
        rotation: {
          due: false,
          next: null,
          reason: "no DKIM keys of its own (CNAME selectors are rotated by their provider)",
        },
        warnings: [],
        problems: [],
      },
    );
  });

  it("named stacks only, in the order named; exit 0 when none has a problem", async () => {
    const result = await status("i-cname", "a-fresh", "i-cname", "--format", "json");
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(result.stderr, "");
    assert.deepEqual(
      (JSON.parse(result.stdout) as { stack: string }[]).map((r) => r.stack),
      ["i-cname", "a-fresh"],
    );
  });

  it("--overlap-days moves the revoke date, as it does rotate's", async () => {
    const result = await status("e-overlap", "--overlap-days", "3", "--format", "json");
    assert.equal(result.code, 0, describeResult(result));
    const [row] = JSON.parse(result.stdout) as { rotation: unknown }[];
    // Past the overlap, so it waits for evidence now (reports from the day after the retirement).
    assert.deepEqual(row?.rotation, {
      due: false,
      next: "revoke",
      notBefore: "2027-05-31",
      reason:
        "waiting: revoking s202611a needs evidence that no mail is still signed with it: DMARC aggregate reports (--reports PATH) from 2027-05-29 showing only s202705a signing, or approve it (rotate --due --approve-revoke <stack>)",
    });
  });

  describe("--reports", () => {
    let reports: string;
    before(() => {
      reports = project.subdir("reports");
      // Before the window (the day after retirement): the old selector still signed then.
      writeRetiredReport(reports, "early", "2027-05-12", { s202611a: 5 });
      writeRevokeEvidence(reports);
    });

    it("reports of the window showing only the new selector make the revoke due; the recommendation is shown", async () => {
      const result = await status("f-retired", "--reports", reports);
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(
        result.stdout,
        `STACK      DOMAIN        PROVIDER    DMARC     SELECTORS                                                     ROTATION    WARNINGS  PROBLEMS  REPORTS
f-retired  retired.test  cloudflare  p=reject  s202611a retired rsa-2048 212d, s202705a active rsa-2048 24d  revoke due  0         0         enforced

f-retired: rotation: 3 reports for retired.test from 2027-05-26 to 2027-05-31 show only s202705a signing (120 messages), none with s202611a
f-retired: reports: 100.0 % aligned over 4 days (125 messages, 1 reporting organisation); no failing sources; already at the strongest policy
`,
      );
    });

    it("a report of the window still showing the old selector keeps it waiting, with the count", async () => {
      const dir = project.subdir("reports-old");
      writeFileSync(
        path.join(dir, "late.xml"),
        reportXml({
          reportId: "late",
          domain: "retired.test",
          p: "reject",
          begin: dayStart("2027-05-30"),
          records: [
            {
              ip: "192.0.2.10",
              count: 7,
              dkimResults: [{ domain: "retired.test", selector: "s202611a", result: "pass" }],
            },
            {
              ip: "192.0.2.11",
              count: 3,
              dkimResults: [{ domain: "retired.test", selector: "s202705a", result: "pass" }],
            },
          ],
        }),
      );
      const result = await status("f-retired", "--reports", dir, "--format", "json");
      assert.equal(result.code, 0, describeResult(result));
      const [row] = JSON.parse(result.stdout) as { rotation: unknown; recommendation: unknown }[];
      assert.deepEqual(row?.rotation, {
        due: false,
        next: "revoke",
        notBefore: "2027-05-17",
        reason:
          "waiting: 1 report for retired.test from 2027-05-30 to 2027-05-30 still show 7 messages signed with s202611a: switch every signer to s202705a (npx sender-auth export <stack> --selector s202705a --format pem), or approve it (rotate --due --approve-revoke <stack>)",
      });
      assert.deepEqual(row.recommendation, {
        verdict: "enforced",
        step: null,
        summary:
          "100.0 % aligned over 1 day (10 messages, 1 reporting organisation); no failing sources; already at the strongest policy",
      });
    });

    it("reports without the new selector, or none in the window, keep it waiting", async () => {
      const dir = project.subdir("reports-none");
      writeFileSync(
        path.join(dir, "other.xml"),
        reportXml({
          reportId: "other",
          domain: "retired.test",
          p: "reject",
          begin: dayStart("2027-05-30"),
          records: [{ ip: "192.0.2.10", count: 4, spf: "pass", dkim: "fail" }],
        }),
      );
      const result = await status("f-retired", "--reports", dir, "--format", "json");
      const [row] = JSON.parse(result.stdout) as { rotation: { reason: string } }[];
      assert.equal(
        row?.rotation.reason,
        "waiting: 1 report for retired.test from 2027-05-30 to 2027-05-30 show no mail signed with s202705a: are the signers switched? Or approve it (rotate --due --approve-revoke <stack>)",
      );
      const early = project.subdir("reports-early");
      writeFileSync(
        path.join(early, "early.xml"),
        reportXml({ reportId: "e", domain: "retired.test", p: "reject", begin: dayStart("2027-05-12"), records: [] }),
      );
      const none = await status("f-retired", "--reports", early, "--format", "json");
      const [waiting] = JSON.parse(none.stdout) as { rotation: { reason: string } }[];
      assert.equal(
        waiting?.rotation.reason,
        "waiting: no DMARC aggregate report for retired.test dated from 2027-05-25 shows whether s202611a still signs: give the reports of that period, or approve it (rotate --due --approve-revoke <stack>)",
      );
    });

    it("an unreadable report is an error on stderr and exit 1; the rows are still shown", async () => {
      const dir = project.subdir("reports-bad");
      mkdirSync(path.join(dir, "sub"), { recursive: true });
      writeFileSync(path.join(dir, "sub", "broken.xml"), "<feedback><report_metadata>");
      const result = await status("a-fresh", "--reports", dir, "--format", "json");
      assert.equal(result.code, 1, describeResult(result));
      assert.match(result.stderr, /^error: --reports: .*broken\.xml: /);
      assert.equal((JSON.parse(result.stdout) as unknown[]).length, 1);
    });
  });

  it("a stack file that is a symbolic link or a FIFO is a row with its problem, in bounded time", async () => {
    const hostile = createTempProject("sender-auth-status-hostile-");
    try {
      writeFleet(hostile, { "a-fresh": FLEET["a-fresh"] ?? "" });
      symlinkSync(
        path.join(hostile.stacksDir, "Pulumi.a-fresh.yaml"),
        path.join(hostile.stacksDir, "Pulumi.b-link.yaml"),
      );
      execFileSync("mkfifo", [path.join(hostile.stacksDir, "Pulumi.c-fifo.yaml")]);
      const result = await runCli(["status", "--format", "json"], { cwd: hostile.dir, env: env(), timeoutMs: 30_000 });
      assert.equal(result.signal, null, "status finished on its own");
      assert.equal(result.code, 1, describeResult(result));
      const rows = JSON.parse(result.stdout) as { stack: string; problems: string[] }[];
      assert.deepEqual(
        rows.map((r) => [r.stack, r.problems.length]),
        [
          ["a-fresh", 0],
          ["b-link", 1],
          ["c-fifo", 1],
        ],
      );
      assert.match(rows[1]?.problems[0] ?? "", /^stacks\/Pulumi\.b-link\.yaml: .*symbolic link/);
      assert.match(rows[2]?.problems[0] ?? "", /^stacks\/Pulumi\.c-fifo\.yaml: /);
    } finally {
      hostile.remove();
    }
  });

  it("usage errors exit 2 and print nothing on stdout", async () => {
    for (const [args, message] of [
      [["--format", "xml"], /argument 'xml' is invalid/],
      [["nope"], /no stack file for "nope"/],
      [["--overlap-days", "-1"], /--overlap-days/],
      [["--workers", "auto"], /option '--workers <n>' argument 'auto' is invalid/],
      [["../x"], /invalid stack name/],
    ] as const) {
      const result = await status(...args);
      assert.equal(result.code, 2, describeResult(result));
      assert.equal(result.stdout, "");
      assert.match(result.stderr, message);
    }
  });
});
