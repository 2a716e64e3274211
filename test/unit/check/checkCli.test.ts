/**
 * `sender-auth check`, the real binary, against the hostile DNS server (issue #11): one run per kind
 * of hostility (a TCP answer closed early, a trickle, an SPF include fan-out, control characters,
 * junk replies, answers for another name, a server that never answers under --stack-timeout), each
 * ending within its bound with exit 1 and failing findings that say why; and the CLI's guard: a
 * command whose event loop drains before it settles exits 1 with one line on stderr, never 0 silent.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Finding } from "../../../cli/check/checks";
import type { StackReport } from "../../../cli/commands/check";
import { createTempProject, inheritedEnv, runCli, type CliResult, type TempProject } from "../../support/cli";
import { FIXTURE_DIR } from "../../support/fixtures";
import { startHostileDns, type HostileDns, type HostileMode } from "../../support/hostileDns";
import { FAN_OUT, hostileStack, hostileStackZone } from "../../support/hostileDnsStack";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

const NOW = "2026-11-28T10:00:00Z";

/** Start-up of a spawned CLI on a busy machine, on top of each run's own bound. */
const START_UP_SLACK_MS = 20_000;

const FORGED = "v=spf1 ip4:192.0.2.10 -all\x1b[2J\x1b]0;pwned\x07\r\n  OK    spf: forged line";

const STACKS = {
  eof: hostileStack("eof.test"),
  trickle: hostileStack("trickle.test"),
  fanout: hostileStack("fanout.test", FAN_OUT),
  control: hostileStack("control.test"),
  junk: hostileStack("junk.test"),
  other: hostileStack("other.test"),
  silent: hostileStack("silent.test"),
  keys: hostileStack("keys.test"),
};
type StackName = keyof typeof STACKS;

/** How the server treats each name, by the stack whose domain it is under. */
function modeOf(name: string): HostileMode {
  const under = (domain: string): boolean => name === domain || name.endsWith(`.${domain}`);
  if (under("eof.test")) return "tc-then-eof";
  if (name === "s1._domainkey.trickle.test") return "tc-then-trickle";
  if (name === "junk.test") return "wrong-id";
  if (name === "s1._domainkey.junk.test") return "compression-loop";
  if (name === "_dmarc.junk.test") return "flood";
  if (name === "s1._domainkey.other.test") return "other-name";
  if (under("silent.test")) return "silent";
  return "serve";
}

interface Run extends CliResult {
  readonly ms: number;
}

describe("sender-auth check against a hostile DNS server", () => {
  let server: HostileDns;
  let project: TempProject;
  const runs = new Map<string, Promise<Run>>();

  const start = (name: string, args: readonly string[], env?: NodeJS.ProcessEnv): void => {
    const pulumi = env?.["PATH"]?.startsWith(project.dir) === true ? [] : ["--no-pulumi"];
    // Timed from the child's spawn, not from here: runCli queues children (a few at a time), and the
    // time a run waits for a slot is no part of how long the command takes.
    let spawned = performance.now();
    const run = runCli(["check", ...args, "--resolver", server.address, ...pulumi], {
      cwd: project.dir,
      timeoutMs: 60_000,
      // "Now" pinned: hints name the time until which caches may keep an answer.
      env: { ...(env ?? inheritedEnv()), SENDER_AUTH_NOW: NOW },
      onSpawn: () => {
        spawned = performance.now();
      },
    }).then((result) => ({ ...result, ms: performance.now() - spawned }));
    // Awaited by the tests; a spawn failure must not become an unhandled rejection before that.
    run.catch(() => undefined);
    runs.set(name, run);
  };
  const result = (name: string): Promise<Run> => {
    const run = runs.get(name);
    assert.ok(run, `no run ${name}`);
    return run;
  };
  /** A run's single JSON report, after checking its exit code and empty stderr. */
  const report = async (name: string, stack: StackName): Promise<{ report: StackReport; run: Run }> => {
    const run = await result(name);
    assert.equal(run.stderr, "", name);
    assert.equal(run.code, 1, `${name}\n${run.stdout}`);
    const reports = JSON.parse(run.stdout) as StackReport[];
    assert.equal(reports.length, 1);
    const [only] = reports;
    assert.ok(only);
    assert.equal(only.stack, stack);
    assert.equal(only.ok, false);
    return { report: only, run };
  };
  const failing = (findings: readonly Finding[]): string[] =>
    findings.filter((f) => f.result !== "ok").map((f) => `${f.code} ${f.subject} | ${f.message}`);

  before(async () => {
    server = await startHostileDns({
      zone: hostileStackZone(Object.values(STACKS), { "control.test": [{ type: "TXT", data: FORGED }] }),
      mode: modeOf,
      trickleMs: 1500,
    });
    project = createTempProject("sender-auth-check-hostile-");
    for (const [name, stack] of Object.entries(STACKS)) project.writeStack(name, stack.file);
    // keys: s1 has a private key in the stack's secret config, and `pulumi` never finishes.
    const keysFile = parseYaml(STACKS.keys.file) as { config: { "sender-auth:dkim": { selectors: { s1: object } } } };
    const s1 = keysFile.config["sender-auth:dkim"].selectors.s1;
    keysFile.config["sender-auth:dkim"].selectors.s1 = { ...s1, privateKey: { secure: "v1:AAAA" } };
    project.writeStack("keys", stringifyYaml(keysFile, { lineWidth: 0 }));
    const hangingBin = path.join(project.dir, "hanging-bin");
    mkdirSync(hangingBin);
    writeFileSync(path.join(hangingBin, "pulumi"), "#!/bin/sh\nexec sleep 120\n");
    chmodSync(path.join(hangingBin, "pulumi"), 0o755);
    // TEST-ONLY preload for the guard: no timer holds the event loop open, as if the command had
    // lost the one callback that would settle it.
    const preload = path.join(project.dir, "unref-timers.cjs");
    writeFileSync(
      preload,
      [
        '"use strict";',
        "const setTimeoutOriginal = global.setTimeout;",
        "global.setTimeout = (...args) => setTimeoutOriginal(...args).unref();",
        "",
      ].join("\n"),
    );
    const json = ["--format", "json"];
    start("eof table", ["eof"]);
    start("eof json", ["eof", ...json]);
    start("trickle", ["trickle", ...json]);
    start("fanout", ["fanout", ...json]);
    start("control table", ["control"]);
    start("control json", ["control", ...json]);
    start("junk", ["junk", ...json]);
    start("other", ["other", ...json]);
    start("deadline", ["silent", "--stack-timeout", "1", ...json]);
    start("usage", ["silent", "--stack-timeout", "0"]);
    // Key files: read before any DNS question, so these end before the silent server matters.
    execFileSync("mkfifo", [path.join(project.dir, "key.fifo")]);
    writeFileSync(path.join(project.dir, "huge.pem"), "k".repeat(70_000));
    symlinkSync(path.join(FIXTURE_DIR, "keys", "rsa-2048.pem"), path.join(project.dir, "linked.pem"));
    start("key fifo", ["silent", "--key-file", `s1=${path.join(project.dir, "key.fifo")}`]);
    start("key device", ["silent", "--key-file", "s1=/dev/zero"]);
    start("key huge", ["silent", "--key-file", `s1=${path.join(project.dir, "huge.pem")}`]);
    start("key link", ["silent", "--key-file", `nosuch=${path.join(project.dir, "linked.pem")}`]);
    start("guard", ["silent", ...json], { ...inheritedEnv(), NODE_OPTIONS: `--require ${preload}` });
    start("hanging pulumi", ["keys", "--stack-timeout", "2", ...json], {
      ...inheritedEnv(),
      PATH: `${hangingBin}:${process.env["PATH"] ?? ""}`,
    });
  });

  after(async () => {
    await Promise.allSettled(runs.values());
    await server.close();
    project.remove();
  });

  it("TC, then TCP closed without an answer (table): exit 1, every lookup a failing dns-error saying so", async () => {
    const run = await result("eof table");
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "");
    const closed = `${server.address} closed the TCP connection without answering`;
    const dig = (name: string): string =>
      `        next:     a DNS failure, not an answer: run the check again; if it persists, ask the server yourself: \`dig @127.0.0.1 -p ${server.port} ${name} TXT\``;
    assert.equal(
      run.stdout,
      [
        "eof (eof.test): 6 failed, 0 warnings, 0 ok",
        `  FAIL  eof.test: TXT eof.test: ${closed}`,
        dig("eof.test"),
        `  FAIL  s1._domainkey.eof.test: TXT s1._domainkey.eof.test: ${closed}`,
        dig("s1._domainkey.eof.test"),
        `  FAIL  _dmarc.eof.test: TXT _dmarc.eof.test: ${closed}`,
        dig("_dmarc.eof.test"),
        // SPF, DKIM and DMARC name the question that failed: their own record's.
        `  FAIL  spf: TXT eof.test: ${closed}`,
        dig("eof.test"),
        `  FAIL  dkim s1: TXT s1._domainkey.eof.test: ${closed}`,
        dig("s1._domainkey.eof.test"),
        `  FAIL  dmarc: TXT _dmarc.eof.test: ${closed}`,
        dig("_dmarc.eof.test"),
        "",
      ].join("\n"),
    );
  });

  it("TC, then TCP closed without an answer (json): exit 1, the same failures, none of them record-missing", async () => {
    const { report: eof } = await report("eof json", "eof");
    assert.deepEqual(eof.counts, { ok: 0, warn: 0, fail: 6 });
    assert.deepEqual(
      eof.findings.map((f) => f.code),
      ["dns-error", "dns-error", "dns-error", "dns-error", "dns-error", "dns-error"],
    );
  });

  it("a TCP answer trickling one byte every 1.5 s: dns-timeout after 2 attempts of 2 s; the run ends in bound", async () => {
    const { report: trickle, run } = await report("trickle", "trickle");
    assert.deepEqual(
      trickle.findings.filter((f) => f.result !== "ok").map((f) => `${f.code} ${f.subject}`),
      ["dns-timeout s1._domainkey.trickle.test", "dns-timeout dkim s1"],
    );
    assert.match(
      trickle.findings[1]?.message ?? "",
      /^TXT s1\._domainkey\.trickle\.test: no complete TCP answer from 127\.0\.0\.1:\d+ within 2000 ms \(stopped /,
    );
    assert.ok(run.ms >= 4000 && run.ms < 4000 + START_UP_SLACK_MS, `took ${run.ms} ms`);
  });

  it("an SPF include fan-out: spf-lookups and spf-walk-limit fail naming their limits; the run ends in bound", async () => {
    const { report: fan, run } = await report("fanout", "fanout");
    assert.deepEqual(failing(fan.findings), [
      "spf-lookups spf | more than 20 DNS lookups of 10 (RFC 7208 §4.6.4): receivers return permerror; the check stops counting at 20",
      "spf-walk-limit spf | the include walk stops 10 includes deep: a.a.a.a.a.a.a.a.a.a.fan.test (included by a.a.a.a.a.a.a.a.a.fan.test) was not looked at; receivers return permerror past 10 DNS lookups (RFC 7208 §4.6.4)",
      "spf-walk-limit spf | the include walk stops after 20 include and redirect targets: l.a.a.a.a.a.a.a.a.fan.test (included by a.a.a.a.a.a.a.a.fan.test) and any after it were not looked at; receivers return permerror past 10 DNS lookups (RFC 7208 §4.6.4)",
    ]);
    assert.ok(run.ms < START_UP_SLACK_MS, `took ${run.ms} ms`);
  });

  it("control characters in a served record (table): escaped, no forged OK line, no terminal escape reaches stdout", async () => {
    const run = await result("control table");
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "");
    const lines = run.stdout.split("\n");
    assert.equal(lines[0], "control (control.test): 2 failed, 0 warnings, 5 ok");
    assert.deepEqual(lines.slice(1, 5), [
      "  FAIL  control.test: SPF: DNS serves another value than the config declares [ttl 300]",
      "        expected: v=spf1 ip4:192.0.2.10 include:_spf.esp.test -all",
      "        served:   v=spf1 ip4:192.0.2.10 -all\\x1b[2J\\x1b]0;pwned\\x07\\r\\n  OK    spf: forged line",
      "        next:     run `pulumi up --stack control`; if it just ran, wait for TTL 300 s (until 10:05 UTC); edited by hand outside sender-auth? `pulumi up --refresh --stack control` puts the declared value back",
    ]);
    assert.ok(!lines.some((line) => line.startsWith("  OK    spf: forged")), run.stdout);
    // eslint-disable-next-line no-control-regex -- the point
    assert.doesNotMatch(run.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });

  it("control characters in a served record (json): the exact data, control characters included", async () => {
    const { report: control } = await report("control json", "control");
    assert.deepEqual(control.findings.find((f) => f.code === "record-different")?.served, [FORGED]);
  });

  it("another ID, a compression loop, a flood of junk: dns-timeout for each, the run ends in bound", async () => {
    const { report: junk, run } = await report("junk", "junk");
    const at = server.address;
    assert.deepEqual(failing(junk.findings), [
      `dns-timeout junk.test | TXT junk.test: no answer from ${at} within 2000 ms`,
      `dns-timeout s1._domainkey.junk.test | TXT s1._domainkey.junk.test: no usable answer from ${at} within 2000 ms; ignored 1 reply with its ID, the last one malformed: Cannot decode name (bad pointer)`,
      `dns-timeout _dmarc.junk.test | TXT _dmarc.junk.test: no answer from ${at} within 2000 ms`,
    ]);
    assert.ok(run.ms >= 4000 && run.ms < 4000 + START_UP_SLACK_MS, `took ${run.ms} ms`);
  });

  it("records owned by another name at the selector: no dkim-ok, a dns-error naming the owner", async () => {
    const { report: other } = await report("other", "other");
    const owner = `${server.address} answered with records for other names only (attacker.test)`;
    assert.deepEqual(failing(other.findings), [
      `dns-error s1._domainkey.other.test | TXT s1._domainkey.other.test: ${owner}`,
      `dns-error dkim s1 | TXT s1._domainkey.other.test: ${owner}`,
    ]);
    assert.ok(!other.findings.some((f) => f.code === "dkim-ok"));
  });

  it("a server that never answers with --stack-timeout 1: every lookup cut short at 1 s, one check-limit naming it", async () => {
    const { report: silent, run } = await report("deadline", "silent");
    const cut = "cut short at the 1 s deadline for checking one stack";
    assert.deepEqual(failing(silent.findings), [
      `check-limit silent.test | TXT silent.test: ${cut}`,
      `check-limit s1._domainkey.silent.test | TXT s1._domainkey.silent.test: ${cut}`,
      `check-limit _dmarc.silent.test | TXT _dmarc.silent.test: ${cut}`,
      "check-limit check | stopped at the 1 s deadline for checking one stack (--stack-timeout): 3 lookups cut short or not made; what they would have checked is unverified",
    ]);
    assert.ok(run.ms >= 1000 && run.ms < 1000 + START_UP_SLACK_MS, `took ${run.ms} ms`);
  });

  it("`pulumi config get` that never finishes: stopped at the stack's deadline (--stack-timeout 2), which then covers DNS too", async () => {
    const { report: keys, run } = await report("hanging pulumi", "keys");
    const passed = "not asked: the 2 s deadline for checking one stack had passed";
    assert.deepEqual(failing(keys.findings), [
      "check-limit dkim s1 | could not read the private key: `pulumi config get` did not finish within the 2 s deadline for checking one stack (--stack-timeout)",
      `check-limit keys.test | TXT keys.test: ${passed}`,
      `check-limit s1._domainkey.keys.test | TXT s1._domainkey.keys.test: ${passed}`,
      `check-limit _dmarc.keys.test | TXT _dmarc.keys.test: ${passed}`,
      "check-limit check | stopped at the 2 s deadline for checking one stack (--stack-timeout): 3 lookups cut short or not made; what they would have checked is unverified",
    ]);
    // The killed `pulumi` (a 120 s sleep) holds nothing open.
    assert.ok(run.ms >= 2000 && run.ms < 2000 + START_UP_SLACK_MS, `took ${run.ms} ms`);
  });

  it("--stack-timeout 0: a usage error, exit 2, nothing on stdout", async () => {
    const run = await result("usage");
    assert.deepEqual(
      [run.code, run.stdout, run.stderr],
      [
        2,
        "",
        "error: option '--stack-timeout <seconds>' argument '0' is invalid. It must be a number of seconds above 0 and at most 3600.\n(run with --help for usage)\n",
      ],
    );
  });

  it("--key-file that is a FIFO, a device or huge: refused at once (exit 2), never waited for or read whole", async () => {
    const fifo = path.join(project.dir, "key.fifo");
    const huge = path.join(project.dir, "huge.pem");
    assert.deepEqual(
      await Promise.all(["key fifo", "key device", "key huge"].map(async (name) => (await result(name)).stderr)),
      [
        `error: --key-file s1: ${fifo}: is a FIFO (named pipe), not a regular file\n`,
        "error: --key-file s1: /dev/zero: is a character device, not a regular file\n",
        `error: --key-file s1: ${huge}: is 68.4 KiB (70000 bytes) long; sender-auth reads at most 64 KiB\n`,
      ],
    );
    for (const name of ["key fifo", "key device", "key huge"]) {
      const run = await result(name);
      assert.deepEqual([run.code, run.stdout], [2, ""], name);
    }
  });

  it("--key-file may be a symbolic link to the key (read, then its selector checked against the stack)", async () => {
    const run = await result("key link");
    assert.deepEqual(
      [run.code, run.stdout, run.stderr],
      [2, "", "error: --key-file nosuch: no such selector in silent\n"],
    );
  });

  it("the event loop drains before the command settles (no timer holds it): exit 1 and one line on stderr, not exit 0 silent", async () => {
    const run = await result("guard");
    assert.deepEqual(
      [run.code, run.stdout, run.stderr],
      [
        1,
        "",
        "sender-auth: internal error: the command stopped before it finished (it waited for an event that never came)\n",
      ],
    );
  });
});
