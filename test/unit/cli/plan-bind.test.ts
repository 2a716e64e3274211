/**
 * `plan --format bind` and `--out DIR` (issue #12), spawned as a user runs them: the zone file on
 * stdout, the option rules (usage errors, exit 2), and `--out`'s safe writes: no symbolic link
 * followed, nothing but a regular file replaced, every target checked before the first is written
 * (exit 1). That BIND loads the files is test/integration/bind-format.test.ts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { createTempProject, describeResult, runCli, type CliResult, type TempProject } from "../../support/cli";

const stackText = (domain: string, ttl = 3600): string => `config:
  sender-auth:domain: ${domain}
  sender-auth:dns:
    provider: route53
    zoneId: Z0123456789ABCDEFGHIJ
    ttl: ${ttl}
  sender-auth:spf:
    ip4: ["192.0.2.10"]
    all: fail
  sender-auth:dmarc:
    policy: reject
    rua: ["mailto:dmarc@${domain}"]
`;

describe("plan --format bind", { concurrency: true }, () => {
  let project: TempProject;

  before(() => {
    project = createTempProject("sender-auth-plan-bind-");
    project.writeStack("one", stackText("one.example", 600));
    project.writeStack("two", stackText("two.example"));
  });
  after(() => {
    project.remove();
  });

  const run = (args: readonly string[]): Promise<CliResult> => runCli(["plan", ...args], { cwd: project.dir });

  it("one stack: the complete zone file on stdout", async () => {
    const result = await run(["one", "--format", "bind"]);
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(result.stderr, "");
    assert.equal(
      result.stdout,
      [
        "; stack one: route53 zone Z0123456789ABCDEFGHIJ",
        "; SOA and NS are placeholders so that BIND loads this file (`sender-auth plan --format bind`); not for publishing",
        "$ORIGIN one.example.",
        "$TTL 600",
        "@      600 IN SOA   ns.invalid. hostmaster.invalid. ( 1 3600 600 604800 300 )",
        "@      600 IN NS    ns.invalid.",
        '@      600 IN TXT   "v=spf1 ip4:192.0.2.10 -all"',
        '_dmarc 600 IN TXT   "v=DMARC1; p=reject; rua=mailto:dmarc@one.example"',
        "",
      ].join("\n"),
    );
  });

  describe("usage errors: exit 2, nothing on stdout, nothing written", { concurrency: true }, () => {
    const usage = (args: readonly string[], stderr: string): void => {
      it(`plan ${args.join(" ")}`, async () => {
        const result = await run(args);
        assert.equal(result.code, 2, describeResult(result));
        assert.equal(result.stdout, "");
        assert.equal(result.stderr, stderr);
        assert.equal(existsSync(path.join(project.dir, "out")), false);
      });
    };
    usage(
      ["--format", "bind"],
      "error: --format bind prints the zone file of one stack, and 2 stacks were selected (one, two): name one stack, or give --out DIR to write DIR/<domain>.zone for each\n",
    );
    usage(["one", "--out", "out"], "error: --out is only for --format bind (one zone file per stack)\n");
    usage(["--format", "json", "--out", "out"], "error: --out is only for --format bind (one zone file per stack)\n");
    usage(["--format", "bind", "--out", "out", "--write"], "error: --out cannot be combined with --write\n");
    usage(["--format", "bind", "--out", "out", "--check"], "error: --out cannot be combined with --check\n");
    usage(
      ["--format", "bind", "--out", ""],
      "error: option '--out <dir>' argument '' is invalid. It must be a path.\n(run with --help for usage)\n",
    );
  });

  describe("--out DIR", () => {
    /** A fresh directory inside the project for one test. */
    let counter = 0;
    const fresh = (): string => project.subdir("outs", String(++counter));

    it("creates DIR (and its parents), writes DIR/<domain>.zone per stack, leaves no temporary files", async () => {
      const dir = path.join(fresh(), "a", "b");
      const result = await run(["--format", "bind", "--out", dir]);
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(
        result.stdout,
        `wrote ${dir}/one.example.zone (stack one)\nwrote ${dir}/two.example.zone (stack two)\n`,
      );
      assert.deepEqual(readdirSync(dir), ["one.example.zone", "two.example.zone"]);
      const single = await run(["two", "--format", "bind"]);
      assert.equal(readFileSync(path.join(dir, "two.example.zone"), "utf8"), single.stdout);
    });

    it("replaces an existing regular file", async () => {
      const dir = fresh();
      writeFileSync(path.join(dir, "one.example.zone"), "old\n");
      const result = await run(["one", "--format", "bind", "--out", dir]);
      assert.equal(result.code, 0, describeResult(result));
      assert.match(readFileSync(path.join(dir, "one.example.zone"), "utf8"), /^; stack one: route53/);
      assert.deepEqual(readdirSync(dir), ["one.example.zone"]);
    });

    it("a DIR that is a symbolic link is refused, not followed", async () => {
      const real = fresh();
      const link = path.join(fresh(), "link");
      symlinkSync(real, link);
      const result = await run(["--format", "bind", "--out", link]);
      assert.equal(result.code, 1, describeResult(result));
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        `error: ${link} is a symbolic link, which is not followed; give the directory it points to\n`,
      );
      assert.deepEqual(readdirSync(real), []);
    });

    it("a DIR that is a file is refused", async () => {
      const file = path.join(fresh(), "file");
      writeFileSync(file, "x");
      const result = await run(["--format", "bind", "--out", file]);
      assert.equal(result.code, 1, describeResult(result));
      assert.equal(result.stderr, `error: ${file} is not a directory\n`);
      assert.equal(readFileSync(file, "utf8"), "x");
    });

    it("a symbolic link at a target is refused before anything is written; its target is untouched", async () => {
      const dir = fresh();
      const outside = path.join(fresh(), "outside.txt");
      writeFileSync(outside, "keep me\n");
      symlinkSync(outside, path.join(dir, "two.example.zone"));
      const result = await run(["--format", "bind", "--out", dir]);
      assert.equal(result.code, 1, describeResult(result));
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        `error: ${dir}/two.example.zone exists and is a symbolic link, which is not replaced; remove it or choose another --out\n`,
      );
      assert.equal(readFileSync(outside, "utf8"), "keep me\n");
      assert.equal(readlinkSync(path.join(dir, "two.example.zone")), outside);
      // one.example.zone comes first, and was not written either.
      assert.deepEqual(readdirSync(dir), ["two.example.zone"]);
    });

    it("a FIFO or a directory at a target is refused (a FIFO would block a writer forever)", async () => {
      const dir = fresh();
      execFileSync("mkfifo", [path.join(dir, "one.example.zone")]);
      mkdirSync(path.join(dir, "two.example.zone"));
      const fifo = await run(["one", "--format", "bind", "--out", dir]);
      assert.equal(fifo.code, 1, describeResult(fifo));
      assert.equal(
        fifo.stderr,
        `error: ${dir}/one.example.zone exists and is a FIFO (named pipe), which is not replaced; remove it or choose another --out\n`,
      );
      assert.ok(lstatSync(path.join(dir, "one.example.zone")).isFIFO());
      const directory = await run(["two", "--format", "bind", "--out", dir]);
      assert.equal(directory.code, 1, describeResult(directory));
      assert.equal(
        directory.stderr,
        `error: ${dir}/two.example.zone exists and is a directory, which is not replaced; remove it or choose another --out\n`,
      );
    });
  });

  it("two stacks of one domain would write one file twice: exit 1, nothing written", async () => {
    const twins = createTempProject("sender-auth-plan-bind-twins-");
    try {
      twins.writeStack("a", stackText("same.example"));
      twins.writeStack("b", stackText("same.example"));
      const result = await runCli(["plan", "--format", "bind", "--out", "zones"], { cwd: twins.dir });
      assert.equal(result.code, 1, describeResult(result));
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        "error: stacks a and b both publish same.example: --out would write same.example.zone twice; plan them one at a time\n",
      );
      assert.equal(existsSync(path.join(twins.dir, "zones")), false);
    } finally {
      twins.remove();
    }
  });
});
