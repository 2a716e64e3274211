/**
 * Node 22 from the first command (issue #12): under a Node older than 22, `sender-auth` and the npm
 * scripts wrapped in bin/node22.cjs run under a Node 22 from the npm registry (`node@22`, fetched once
 * with npx and remembered), saying so in exactly one stderr line; where that is impossible they stop
 * with one line, exit 2. Every test spawns real processes: the old Node is the machine's (or
 * node-<os>-<arch>@20 from npm, test/support/oldNode.ts), the fetch goes to the npm registry.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "acorn";
import {
  createTempProject,
  describeResult,
  inheritedEnv,
  REPO_ROOT,
  runCli,
  runProcess,
  type CliResult,
} from "../../support/cli";
import { oldNode, type OldNode } from "../../support/oldNode";

const NODE22_CJS = path.join(REPO_ROOT, "bin", "node22.cjs");
const HOW_TO_GET = "install Node.js 22 or newer (https://nodejs.org/, or `nvm install 22`) and run again";

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("Node 22 from the first command", () => {
  let old: OldNode;
  const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), "sender-auth-node22-")));
  /** Where these tests let bin/node22.cjs remember the fetched binary (not the repository's own cache). */
  const cache = path.join(scratch, "cache");
  /** The Node 22 the first fetch remembered: `{ file, version }`. */
  let fetched: { file: string; version: string };

  /** The environment of a user whose Node is the old one: first on PATH, so npx runs on it too. */
  function oldEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env = inheritedEnv();
    // Set when this suite itself runs under `npm test` on an old Node (the wrapper's loop guard).
    delete env["SENDER_AUTH_NODE22_FROM"];
    env["PATH"] = [path.dirname(old.file), env["PATH"] ?? ""].join(path.delimiter);
    env["SENDER_AUTH_NODE22_CACHE"] = cache;
    return { ...env, ...extra };
  }

  /** The one line of a run that found the remembered Node 22. */
  const cachedLine = (what: string): string =>
    `sender-auth: Node.js ${old.version} is older than 22, so ${what} runs under Node.js ${fetched.version} from the npm registry (node@22)\n`;

  before(() => {
    old = oldNode();
  });
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  describe("sender-auth plan", () => {
    let onNode22: CliResult;

    before(async () => {
      const env = inheritedEnv();
      delete env["SENDER_AUTH_NODE22_FROM"];
      onNode22 = await runCli(["plan"], { env });
    });

    it("on Node 22: the plan and its warnings, not a word about Node", () => {
      assert.equal(onNode22.code, 0, describeResult(onNode22));
      assert.match(onNode22.stdout, /^example-com: example\.com on cloudflare/);
      assert.doesNotMatch(onNode22.stderr, /Node\.js|node@22/);
    });

    it("on an old Node, first run: fetches Node 22 with npx (a stale record is ignored), one line, then the same plan", async () => {
      mkdirSync(cache, { recursive: true });
      writeFileSync(path.join(cache, "node.json"), JSON.stringify({ file: "/nonexistent/node", version: "v22.0.0" }));
      const result = await runCli(["plan"], { node: old.file, env: oldEnv(), timeoutMs: 600_000 });
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(result.stdout, onNode22.stdout);
      const line = new RegExp(
        `^sender-auth: Node\\.js ${escape(old.version)} is older than 22: fetching Node\\.js 22 from the npm registry \\(npx --package=node@22, once\\) … done; this runs under Node\\.js (v22\\.\\d+\\.\\d+)\n`,
      );
      const match = line.exec(result.stderr);
      assert.ok(match, describeResult(result));
      assert.equal(result.stderr.slice(match[0].length), onNode22.stderr);
      fetched = JSON.parse(readFileSync(path.join(cache, "node.json"), "utf8")) as typeof fetched;
      assert.equal(fetched.version, match[1]);
      const reported = await runProcess(fetched.file, ["--version"]);
      assert.equal(reported.stdout, `${fetched.version}\n`);
    });

    it("on an old Node, later runs: the remembered Node 22 (no npx, no registry), one line, the same plan", async () => {
      // No npx on PATH and npm offline: only the remembered binary can make this pass.
      const result = await runCli(["plan"], {
        node: old.file,
        env: oldEnv({ PATH: path.join(scratch, "empty-path"), npm_config_offline: "true" }),
      });
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(result.stdout, onNode22.stdout);
      assert.equal(result.stderr, cachedLine("this") + onNode22.stderr);
    });

    it("exit codes pass through: a usage error exits 2, an invalid stack 1, each after the one line", async () => {
      const usage = await runCli(["plan", "--format", "xml"], { node: old.file, env: oldEnv() });
      assert.equal(usage.code, 2, describeResult(usage));
      assert.equal(
        usage.stderr,
        `${cachedLine("this")}error: option '-f, --format <format>' argument 'xml' is invalid. Allowed choices are table, zone, json, bind.\n(run with --help for usage)\n`,
      );
      const project = createTempProject();
      try {
        project.writeStack("bad", "config:\n  sender-auth:domain: Example.COM\n");
        const failed = await runCli(["plan"], { node: old.file, env: oldEnv(), cwd: project.dir });
        const expected = await runCli(["plan"], { env: oldEnv(), cwd: project.dir });
        assert.equal(expected.code, 1, describeResult(expected));
        assert.equal(failed.code, 1, describeResult(failed));
        assert.equal(failed.stdout, "");
        assert.equal(failed.stderr, cachedLine("this") + expected.stderr);
      } finally {
        project.remove();
      }
    });

    it("SIGTERM to sender-auth reaches the Node 22 child, and sender-auth dies of it too", async () => {
      const child = spawn(old.file, [path.join(REPO_ROOT, "bin", "sender-auth.js"), "plan"], {
        cwd: REPO_ROOT,
        env: oldEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.on("close", (code, signal) => {
          resolve({ code, signal });
        });
      });
      // The line is written just before the child starts: then the signal goes to the parent only.
      child.stderr.on("data", (chunk: Buffer) => {
        const first = stderr === "";
        stderr += chunk.toString();
        if (first) child.kill("SIGTERM");
      });
      const { code, signal } = await ended;
      assert.equal(signal, "SIGTERM", `exit ${String(code)}\n${stdout}\n${stderr}`);
      assert.equal(stderr, cachedLine("this"));
      // Without forwarding, the parent would have waited for the whole plan and exited 0.
      assert.equal(stdout, "");
    });
  });

  describe("bin/node22.cjs <command…> (the npm scripts)", () => {
    it("`npm test` on an old Node runs its scripts under the fetched Node 22, saying so once", async () => {
      const scripts = (
        JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
      ).scripts;
      assert.equal(scripts["test"], "node bin/node22.cjs npm run test:all");
      assert.ok(scripts["test:all"]?.includes("npm run test:unit"));
      // The repository's `test` script in a project whose `test:all` only reports its Node.
      const project = path.join(scratch, "npm-test");
      mkdirSync(project, { recursive: true });
      const pkg = {
        name: "node22-wrapper-check",
        version: "1.0.0",
        private: true,
        scripts: {
          test: scripts["test"].replace("bin/node22.cjs", JSON.stringify(NODE22_CJS)),
          "test:all": `node -p "'test:all ran under ' + process.version"`,
        },
      };
      writeFileSync(path.join(project, "package.json"), JSON.stringify(pkg, null, 2));
      const result = await runProcess("npm", ["test", "--silent"], { cwd: project, env: oldEnv() });
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(result.stdout, `test:all ran under ${fetched.version}\n`);
      assert.equal(result.stderr, cachedLine("`npm run test:all`"));
    });

    it("exit codes, stdin and stdout pass through", async () => {
      const exit = await runProcess(old.file, [NODE22_CJS, "node", "-e", "process.exit(7)"], { env: oldEnv() });
      assert.equal(exit.code, 7, describeResult(exit));
      const echo = await runProcess(old.file, [NODE22_CJS, "node", "-e", "process.stdin.pipe(process.stdout)"], {
        env: oldEnv(),
        input: "hello\n",
      });
      assert.equal(echo.code, 0, describeResult(echo));
      assert.equal(echo.stdout, "hello\n");
      assert.equal(echo.stderr, cachedLine("`node -e process.stdin.pipe(process.stdout)`"));
    });

    // The children end on their own after 20 s (exit 9), so a wrapper that does not pass the signal on fails, not hangs.
    it("a signal the child handles decides the exit code; one it does not handle kills the wrapper too", async () => {
      const trap = `process.on("SIGTERM", () => { console.log("child got SIGTERM"); process.exit(5); }); console.log("ready"); setTimeout(() => process.exit(9), 20_000);`;
      const run = (script: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> =>
        new Promise((resolve) => {
          const child = spawn(old.file, [NODE22_CJS, "node", "-e", script], {
            env: oldEnv(),
            stdio: ["ignore", "pipe", "ignore"],
          });
          let stdout = "";
          child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk.toString();
            if (stdout === "ready\n") child.kill("SIGTERM");
          });
          child.on("close", (code, signal) => {
            resolve({ code, signal, stdout });
          });
        });
      assert.deepEqual(await run(trap), { code: 5, signal: null, stdout: "ready\nchild got SIGTERM\n" });
      assert.deepEqual(await run(`console.log("ready"); setTimeout(() => process.exit(9), 20_000);`), {
        code: null,
        signal: "SIGTERM",
        stdout: "ready\n",
      });
    });

    it("on Node 22 the command runs as it is, not a word about Node", async () => {
      const env = inheritedEnv();
      delete env["SENDER_AUTH_NODE22_FROM"];
      const result = await runProcess(process.execPath, [NODE22_CJS, "node", "-p", "process.version"], { env });
      assert.equal(result.code, 0, describeResult(result));
      assert.equal(result.stdout, `${process.version}\n`);
      assert.equal(result.stderr, "");
    });
  });

  describe("when Node 22 cannot be had: one line naming found and needed, exit 2", () => {
    const empty = (): string => {
      const dir = mkdtempSync(path.join(scratch, "cold-"));
      return dir;
    };

    it("npx is not on PATH", async () => {
      const result = await runCli(["plan"], {
        node: old.file,
        env: oldEnv({ PATH: empty(), SENDER_AUTH_NODE22_CACHE: empty() }),
      });
      assert.equal(result.code, 2, describeResult(result));
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        `sender-auth: Node.js ${old.version} found, Node.js 22 or newer needed, and npx is not on PATH to fetch it from the npm registry; ${HOW_TO_GET}\n`,
      );
    });

    it("the npm registry cannot be reached (npm offline, empty npm cache)", async () => {
      const result = await runCli(["plan"], {
        node: old.file,
        env: oldEnv({ SENDER_AUTH_NODE22_CACHE: empty(), npm_config_cache: empty(), npm_config_offline: "true" }),
      });
      assert.equal(result.code, 2, describeResult(result));
      assert.equal(result.stdout, "");
      assert.match(
        result.stderr,
        new RegExp(
          `^sender-auth: Node\\.js ${escape(old.version)} is older than 22: fetching Node\\.js 22 from the npm registry \\(npx --package=node@22, once\\) … failed \\(npm error code ENOTCACHED: [^\\n]*\\); Node\\.js 22 or newer is needed: ${escape(HOW_TO_GET)}\n$`,
        ),
      );
    });

    it("a child that is still old (the loop guard)", async () => {
      const result = await runCli(["plan"], { node: old.file, env: oldEnv({ SENDER_AUTH_NODE22_FROM: old.version }) });
      assert.equal(result.code, 2, describeResult(result));
      assert.equal(
        result.stderr,
        `sender-auth: Node.js ${old.version} found although Node.js 22 or newer was fetched for it; ${HOW_TO_GET}\n`,
      );
    });
  });

  it("bin/sender-auth.js and bin/node22.cjs parse as ES2017 (Node 8), so any old Node reaches the re-exec", () => {
    for (const file of ["sender-auth.js", "node22.cjs"]) {
      const source = readFileSync(path.join(REPO_ROOT, "bin", file), "utf8");
      assert.doesNotThrow(() => parse(source, { ecmaVersion: 2017, sourceType: "script", allowHashBang: true }), file);
    }
    // The check can fail: optional chaining is ES2020.
    assert.throws(() => parse("a?.b", { ecmaVersion: 2017 }));
  });
});
