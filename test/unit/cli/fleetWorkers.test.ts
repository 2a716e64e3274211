/**
 * `plan` and `check` over a fleet in worker threads (issue #14): the real binary, run with
 * `--workers 2` and with `--workers 0` (everything in one thread) on a small fleet with invalid
 * stacks, warnings and a failing check, prints exactly the same bytes on stdout and stderr and exits
 * alike, in every plan format and with plan --out, --write and --check (the same files written,
 * byte for byte); the threaded run did start its threads (counted by a preload), and stacks come
 * out in stack order, errors too.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { createTempProject, describeResult, type TempProject } from "../../support/cli";
import { startHostileDns, type HostileDns } from "../../support/hostileDns";
import { hostileStack, hostileStackZone, type HostileStack } from "../../support/hostileDnsStack";
import { threadRuns, type ThreadRun, type ThreadRuns } from "../../support/threadRuns";

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

  for (const format of ["table", "zone"] as const) {
    it(`plan --format ${format}: the same bytes, every valid stack in stack order`, async () => {
      const result = await runs.bothWays(["plan", "--format", format, ...valid]);
      assert.equal(result.code, 0, describeResult(result));
      const heads = result.stdout.split("\n").filter((line) => (format === "table" ? /^\S/ : /^; stack /).test(line));
      assert.deepEqual(
        heads.map((line) => (format === "table" ? line.split(":")[0] : line.split(" ")[2]?.replace(/:$/, ""))),
        valid,
      );
    });
  }

  /** The files under `dir`, by name, with their text. */
  const filesIn = (dir: string): Record<string, string> =>
    Object.fromEntries(
      readdirSync(dir)
        .sort()
        .map((name) => [name, readFileSync(path.join(dir, name), "utf8")]),
    );

  /**
   * Runs `args` (which write into `dir`) with 2 threads, then, with `dir` emptied, with none: the same
   * output, exit code and files. Returns the threaded run and the files it wrote.
   */
  const bothWaysWriting = async (
    args: readonly string[],
    dir: string,
  ): Promise<[ThreadRun, Record<string, string>]> => {
    const threaded = await runs.run([...args, "--workers", "2"]);
    const files = filesIn(dir);
    rmSync(dir, { recursive: true, force: true });
    const single = await runs.run([...args, "--workers", "0"]);
    assert.equal(threaded.threads, 2, describeResult(threaded));
    assert.equal(single.threads, 0, describeResult(single));
    assert.equal(threaded.code, single.code, describeResult(threaded));
    assert.equal(threaded.stdout, single.stdout);
    assert.equal(threaded.stderr, single.stderr);
    assert.deepEqual(files, filesIn(dir));
    return [threaded, files];
  };

  it("plan --format bind --out: the same zone files, one per stack's domain, and the same lines", async () => {
    const out = path.join(project.dir, "zones");
    const [result, files] = await bothWaysWriting(["plan", "--format", "bind", "--out", out, ...valid], out);
    assert.equal(result.code, 0, describeResult(result));
    assert.deepEqual(
      Object.keys(files),
      valid.map((name) => `${name}.test.zone`),
    );
    assert.match(files["fleet00.test.zone"] ?? "", /^; stack fleet00: \S+ zone /);
  });

  it("plan --write, then --check: the same snapshots, and the same report of a stale one", async () => {
    const records = path.join(project.dir, "records");
    const [written, files] = await bothWaysWriting(["plan", "--write", ...valid], records);
    assert.equal(written.code, 0, describeResult(written));
    assert.deepEqual(
      Object.keys(files),
      valid.map((name) => `${name}.zone`),
    );
    const fresh = await runs.bothWays(["plan", "--check", ...valid]);
    assert.equal(fresh.code, 0, describeResult(fresh));
    assert.equal(fresh.stdout, `records/ matches the config of ${valid.length} stack(s)\n`);
    const snapshot = files["fleet05.zone"] ?? "";
    assert.match(snapshot, / 300 IN /);
    writeFileSync(path.join(records, "fleet05.zone"), snapshot.replace(/ 300 IN /, " 60 IN "));
    const stale = await runs.bothWays(["plan", "--check", ...valid]);
    assert.equal(stale.code, 1, describeResult(stale));
    assert.match(stale.stderr, /error: stack fleet05: records\/fleet05\.zone differs from its config:\n/);
    rmSync(records, { recursive: true, force: true });
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
