/**
 * `status` over a fleet in worker threads (issue #14): the real binary, run with `--workers 2` and
 * with `--workers 0` (every row in the main thread) on the fleet of mixed age and state of
 * test/support/fleet.ts twice over (a broken and an unreadable stack among them) plus a stack file
 * that is a symbolic link and one that is a FIFO, prints exactly the same bytes on stdout and stderr
 * and exits alike, in both formats, with and without DMARC aggregate reports (an unreadable one among
 * them); the threaded run did start its threads (counted by a preload), and rows come out in stack
 * order.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { createTempProject, describeResult, type TempProject } from "../../support/cli";
import {
  dayStart,
  FLEET,
  FLEET_NOW,
  writeFleet,
  writeRetiredReport,
  writeRevokeEvidence,
  type FleetStack,
} from "../../support/fleet";
import { reportXml } from "../../support/reports";
import { threadRuns, type ThreadRuns } from "../../support/threadRuns";

/** The fleet, and the same stacks again under other names (`z-...`): more batches than threads. */
const FLEET_TWICE: Readonly<Record<string, FleetStack | string>> = {
  ...FLEET,
  ...Object.fromEntries(Object.entries(FLEET).map(([stack, spec]) => [`z-${stack}`, spec])),
};
/** Every stack in stack order: the fleet's, the link and the FIFO. */
const STACKS = [...Object.keys(FLEET_TWICE), "l-link", "m-fifo"].sort();

describe("status in worker threads prints what one thread prints", () => {
  let project: TempProject;
  let runs: ThreadRuns;
  let reports: string;

  before(() => {
    project = createTempProject("sender-auth-status-threads-");
    runs = threadRuns(project.dir, FLEET_NOW);
    writeFleet(project, FLEET_TWICE);
    symlinkSync(path.join(project.stacksDir, "Pulumi.b-old.yaml"), path.join(project.stacksDir, "Pulumi.l-link.yaml"));
    execFileSync("mkfifo", [path.join(project.stacksDir, "Pulumi.m-fifo.yaml")]);
    reports = project.subdir("reports");
    // Evidence for f-retired's revoke, one report from before its window, one for another domain
    // (a recommendation to move on from p=none), and one that cannot be read.
    writeRevokeEvidence(reports);
    writeRetiredReport(reports, "early", "2027-05-12", { s202611a: 5 });
    writeFileSync(
      path.join(reports, "fresh.xml"),
      reportXml({
        reportId: "fresh",
        domain: "fresh.test",
        p: "none",
        begin: dayStart("2027-05-30"),
        records: [
          {
            ip: "192.0.2.10",
            count: 12,
            dkimResults: [{ domain: "fresh.test", selector: "s202705a", result: "pass" }],
          },
        ],
      }),
    );
    writeFileSync(path.join(reports, "broken.xml"), "<feedback><report_metadata>");
  });
  after(() => {
    project.remove();
    runs.remove();
  });

  it("--format json: every stack's row in stack order, the broken ones with their problems; exit 1", async () => {
    const result = await runs.bothWays(["status", "--format", "json"]);
    assert.equal(result.code, 1, describeResult(result));
    const rows = JSON.parse(result.stdout) as { stack: string; problems: string[]; rotation: { next: string } }[];
    assert.deepEqual(
      rows.map((r) => r.stack),
      STACKS,
    );
    assert.deepEqual(
      rows.filter((r) => r.problems.length > 0).map((r) => r.stack),
      ["j-broken", "k-unreadable", "l-link", "m-fifo", "z-j-broken", "z-k-unreadable"],
    );
    // A stack file is never read through a symbolic link, nor waited on as a FIFO: in a thread too.
    assert.match(rows.find((r) => r.stack === "l-link")?.problems[0] ?? "", /symbolic link/);
    assert.equal(
      result.stderr,
      "error: 6 of 24 stacks have problems: j-broken, k-unreadable, l-link, m-fifo, z-j-broken, z-k-unreadable\n",
    );
  });

  it("the table: rows, reasons and problems in stack order", async () => {
    const result = await runs.bothWays(["status"]);
    assert.equal(result.code, 1, describeResult(result));
    const lines = result.stdout.split("\n");
    assert.deepEqual(
      lines.slice(1, 1 + STACKS.length).map((line) => line.split(" ")[0]),
      STACKS,
    );
    const detailed = lines.flatMap((line) => /^(\S+): (?:rotation|problem): /.exec(line)?.slice(1, 2) ?? []);
    assert.deepEqual(detailed, [...detailed].sort());
  });

  for (const format of ["json", "table"] as const) {
    it(`--reports, --format ${format}: the same revoke evidence and recommendations, the unreadable report on stderr`, async () => {
      const result = await runs.bothWays(["status", "--format", format, "--reports", reports]);
      assert.equal(result.code, 1, describeResult(result));
      assert.match(result.stderr, /^error: --reports: .*broken\.xml: /);
      if (format === "json") {
        const rows = JSON.parse(result.stdout) as {
          stack: string;
          rotation: { due: boolean; next: string | null };
          recommendation?: { verdict: string };
        }[];
        const byStack = new Map(rows.map((r) => [r.stack, r]));
        for (const stack of ["f-retired", "z-f-retired"]) {
          // Only the reports show that the revoke is due: the threads had them.
          assert.deepEqual(byStack.get(stack)?.rotation.next, "revoke");
          assert.equal(byStack.get(stack)?.rotation.due, true, stack);
        }
        assert.equal(
          byStack.get("a-fresh")?.recommendation?.verdict,
          byStack.get("z-a-fresh")?.recommendation?.verdict,
        );
        assert.notEqual(byStack.get("a-fresh")?.recommendation?.verdict, byStack.get("b-old")?.recommendation?.verdict);
      } else {
        assert.match(result.stdout, /^f-retired {2}.* revoke due /m);
      }
    });
  }

  it("a small fleet stays in one thread unless --workers says otherwise", async () => {
    const result = await runs.run(["status", "--format", "json"]);
    assert.equal(result.code, 1, describeResult(result));
    assert.equal(result.threads, 0);
  });
});
