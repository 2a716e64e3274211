/**
 * `plan` and `check` over a fleet in worker threads (issue #14): the real binary, run with
 * `--workers 2` and with `--workers 0` (everything in one thread) on a small fleet with invalid
 * stacks, warnings and a failing check, prints exactly the same bytes on stdout and stderr and exits
 * alike; the threaded run did start its threads (counted by a preload), and stacks come out in
 * stack order, errors too.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { createTempProject, describeResult, type TempProject } from "../../support/cli";
import { startHostileDns, type HostileDns } from "../../support/hostileDns";
import { hostileStack, hostileStackZone, type HostileStack } from "../../support/hostileDnsStack";
import { threadRuns, type ThreadRuns } from "../../support/threadRuns";

const NOW = "2026-11-28T10:00:00Z";
const NAMES = Array.from({ length: 12 }, (_, i) => `fleet${String(i).padStart(2, "0")}`);
/** Invalid stacks: a DMARC policy that does not exist, an SPF qualifier that does not exist. */
const BROKEN: Readonly<Record<string, readonly [string, unknown]>> = {
  fleet03: ["sender-auth:dmarc", { policy: "bogus" }],
  fleet09: ["sender-auth:spf", { ip4: ["192.0.2.10"], all: "maybe" }],
};
/** Its DKIM key is not served: check fails for it. */
const UNSERVED = "fleet06";

describe("plan and check in worker threads print what one thread prints", () => {
  let project: TempProject;
  let server: HostileDns;
  let runs: ThreadRuns;
  const stacks = new Map<string, HostileStack>();

  before(async () => {
    project = createTempProject("sender-auth-fleet-");
    runs = threadRuns(project.dir, NOW);
    for (const name of NAMES) {
      const stack = hostileStack(`${name}.test`);
      stacks.set(name, stack);
      const broken = BROKEN[name];
      if (broken === undefined) {
        project.writeStack(name, stack.file);
        continue;
      }
      const doc = parseYaml(stack.file) as { config: Record<string, unknown> };
      doc.config[broken[0]] = broken[1];
      project.writeStack(name, stringifyYaml(doc));
    }
    const served = [...stacks.entries()].filter(([name]) => BROKEN[name] === undefined).map(([, stack]) => stack);
    server = await startHostileDns({
      zone: hostileStackZone(served, { [`s1._domainkey.${UNSERVED}.test`]: [] }),
    });
  });
  after(async () => {
    await server.close();
    project.remove();
    runs.remove();
  });

  const errorLines = (stderr: string): string[] => stderr.split("\n").filter((line) => line.startsWith("error: "));
  const valid = NAMES.filter((name) => BROKEN[name] === undefined);

  it("plan: every valid stack's plan, in stack order, and each stack's warnings", async () => {
    const result = await runs.bothWays(["plan", "--format", "json", ...valid]);
    assert.equal(result.code, 0, describeResult(result));
    const plans = JSON.parse(result.stdout) as { stack: string }[];
    assert.deepEqual(
      plans.map((p) => p.stack),
      valid,
    );
    // Warnings of every stack (the include's own lookups, Ed25519 only), grouped in stack order.
    const warned = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("warning: "))
      .map((line) => /^warning: stack (\S+):/.exec(line)?.[1]);
    assert.deepEqual([...new Set(warned)], valid);
    assert.deepEqual(warned, [...warned].sort());
  });

  it("plan: invalid stacks fail the run with every error, in stack order, and nothing on stdout", async () => {
    const result = await runs.bothWays(["plan", "--format", "json"]);
    assert.equal(result.code, 1, describeResult(result));
    assert.equal(result.stdout, "");
    assert.deepEqual(
      errorLines(result.stderr).map((line) => /^error: stack (\S+): (\S+):/.exec(line)?.slice(1)),
      [
        ["fleet03", "sender-auth:dmarc.policy"],
        ["fleet09", "sender-auth:spf.all"],
      ],
    );
  });

  for (const format of ["json", "table"] as const) {
    it(`check --format ${format}: a report per valid stack in stack order, the invalid stacks' errors after`, async () => {
      const result = await runs.bothWays(["check", "--resolver", server.address, "--no-pulumi", "--format", format]);
      assert.equal(result.code, 1, describeResult(result));
      if (format === "json") {
        const reports = JSON.parse(result.stdout) as { stack: string; ok: boolean }[];
        assert.deepEqual(
          reports.map((r) => [r.stack, r.ok]),
          valid.map((name) => [name, name !== UNSERVED]),
        );
      } else {
        const heads = result.stdout.split("\n").filter((line) => /^\S/.test(line));
        assert.deepEqual(
          heads.map((line) => line.split(" ")[0]),
          valid,
        );
      }
      assert.deepEqual(
        errorLines(result.stderr).map((line) => /^error: stack (\S+): (\S+):/.exec(line)?.slice(1)),
        [
          ["fleet03", "sender-auth:dmarc.policy"],
          ["fleet09", "sender-auth:spf.all"],
        ],
      );
    });
  }

  it("a small fleet stays in one thread unless --workers says otherwise", async () => {
    const result = await runs.run(["plan", "--format", "json", ...valid]);
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(result.threads, 0);
  });
});
