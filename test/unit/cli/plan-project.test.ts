import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import {
  createTempProject,
  REPO_ROOT,
  REPO_STACKS_DIR,
  repoStackText,
  runCli,
  type TempProject,
} from "../../support/cli";

const projects: TempProject[] = [];
const cleanup: string[] = [];
after(() => {
  for (const project of projects) project.remove();
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});
function tempProject(): TempProject {
  const project = createTempProject();
  projects.push(project);
  return project;
}

describe("sender-auth plan on broken or unusual projects", { concurrency: true, timeout: 120_000 }, () => {
  it("a Pulumi.yaml that is not YAML fails with exit 1 and every line of the message prefixed, no stack trace", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sender-auth-broken-"));
    cleanup.push(dir);
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: [x\n");
    const result = await runCli(["plan"], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    const lines = result.stderr.trimEnd().split("\n");
    assert.match(
      lines[0] ?? "",
      new RegExp(`^error: ${path.join(dir, "Pulumi.yaml").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not valid YAML: `),
    );
    assert.ok(
      lines.every((line) => line.startsWith("error: ")),
      result.stderr,
    );
    assert.ok(!result.stderr.includes("internal error") && !result.stderr.includes("    at "), result.stderr);
  });

  it("a Pulumi.yaml without a name fails with exit 1", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sender-auth-noname-"));
    cleanup.push(dir);
    writeFileSync(path.join(dir, "Pulumi.yaml"), "description: x\n");
    const result = await runCli(["plan"], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `error: ${path.join(dir, "Pulumi.yaml")}: needs a name\n`);
  });

  it("a stack file with a YAML syntax error prefixes every line of the message", async () => {
    const project = tempProject();
    project.writeStack("broken", "config:\n  a: [\n");
    const result = await runCli(["plan"], { cwd: project.dir });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    const lines = result.stderr.trimEnd().split("\n");
    assert.ok(
      lines[0]?.startsWith(
        `error: stack broken: ${path.join(project.stacksDir, "Pulumi.broken.yaml")}: not valid YAML: `,
      ),
      result.stderr,
    );
    assert.ok(lines.length > 1 && lines.every((line) => line.startsWith("error: ")), result.stderr);
  });

  it("Pulumi.x.yaml and Pulumi.x.yml are one stack, planned once", async () => {
    const project = tempProject();
    project.copyRepoStack("example-org", "dup");
    copyFileSync(path.join(REPO_STACKS_DIR, "Pulumi.example-org.yaml"), path.join(project.stacksDir, "Pulumi.dup.yml"));
    const result = await runCli(["plan", "--format", "json"], { cwd: project.dir });
    assert.equal(result.code, 0, result.stderr);
    const plans = JSON.parse(result.stdout) as { stack: string }[];
    assert.deepEqual(
      plans.map((p) => p.stack),
      ["dup"],
    );
  });

  it("re-runs the program for every stack even when it is reached through a symlink", async () => {
    const project = tempProject();
    const link = path.join(project.dir, "program-link");
    symlinkSync(REPO_ROOT, link);
    writeFileSync(
      path.join(project.dir, "Pulumi.yaml"),
      "name: sender-auth\nruntime: nodejs\nmain: program-link/index.ts\nstackConfigDir: stacks\n",
    );
    project.copyRepoStack("example-com");
    project.copyRepoStack("example-org");
    const result = await runCli(["plan", "--format", "json"], { cwd: project.dir });
    assert.equal(result.code, 0, result.stderr);
    const plans = JSON.parse(result.stdout) as { stack: string; domain: string; resources: unknown[] }[];
    assert.deepEqual(
      plans.map((p) => [p.stack, p.domain, p.resources.length]),
      [
        ["example-com", "example.com", 6],
        ["example-org", "example.org", 4],
      ],
    );
  });
});

describe(
  "sender-auth plan on hostile files (issue #11): bounded, never a hang, a message naming the path",
  { concurrency: true, timeout: 120_000 },
  () => {
    /** plan of every stack in a project holding `name`'s stack file as made by `make`. */
    async function planWith(
      name: string,
      make: (file: string) => void,
    ): Promise<{ file: string; result: Awaited<ReturnType<typeof runCli>> }> {
      const project = tempProject();
      project.copyRepoStack("example-org");
      const file = path.join(project.stacksDir, `Pulumi.${name}.yaml`);
      make(file);
      return { file, result: await runCli(["plan"], { cwd: project.dir }) };
    }

    it("a FIFO stack file ends at once: exit 1 naming it", async () => {
      const { file, result } = await planWith("fifo", (file) => execFileSync("mkfifo", [file]));
      assert.deepEqual(result, {
        code: 1,
        signal: null,
        stdout: "",
        stderr: `error: stack fifo: ${file}: is a FIFO (named pipe), not a regular file\n`,
      });
    });

    it("a stack file that is a symbolic link to /dev/zero is not followed: exit 1 naming it", async () => {
      const { file, result } = await planWith("zero", (file) => {
        symlinkSync("/dev/zero", file);
      });
      assert.deepEqual(result, {
        code: 1,
        signal: null,
        stdout: "",
        stderr: `error: stack zero: ${file}: is a symbolic link; sender-auth reads project files only as regular files, never through a link (it could point outside the project, or at a device)\n`,
      });
    });

    it("a 2 GiB stack file is refused by its size, unread: exit 1", async () => {
      const { file, result } = await planWith("huge", (file) => {
        writeFileSync(file, "");
        truncateSync(file, 2 * 1024 * 1024 * 1024);
      });
      assert.deepEqual(result, {
        code: 1,
        signal: null,
        stdout: "",
        stderr: `error: stack huge: ${file}: is 2 GiB long; sender-auth reads at most 1 MiB\n`,
      });
    });

    it("binary junk (an ESC sequence) after a valid stack: one short line, no control bytes echoed", async () => {
      const junk = Buffer.from([
        0x1b,
        0x5b,
        0x33,
        0x31,
        0x6d,
        0x07,
        0x0d,
        ...Buffer.from("  OK    spf: forged line\n".repeat(1500)),
      ]);
      const text = repoStackText("example-com");
      const { file, result } = await planWith("junk", (file) => {
        writeFileSync(file, Buffer.concat([Buffer.from(text), junk]));
      });
      const line = text.split("\n").length;
      assert.deepEqual(result, {
        code: 1,
        signal: null,
        stdout: "",
        stderr: `error: stack junk: ${file}: line ${line}, column 1: control character U+001B is not allowed in YAML (YAML 1.2 §5.1); is it a binary file?\n`,
      });
    });

    it("bytes that are not UTF-8: one short line naming where", async () => {
      const { file, result } = await planWith("latin1", (file) => {
        writeFileSync(
          file,
          Buffer.concat([
            Buffer.from("config:\n  sender-auth:domain: b"),
            Buffer.from([0xfc]),
            Buffer.from("cher.example\n"),
          ]),
        );
      });
      assert.deepEqual(result, {
        code: 1,
        signal: null,
        stdout: "",
        stderr: `error: stack latin1: ${file}: line 2, column 24: not UTF-8 text (YAML 1.2 §5.2); is it a binary file?\n`,
      });
    });

    it("a YAML error on a 30,000-character line quotes at most 160 characters of it", async () => {
      const { file, result } = await planWith("long", (file) => {
        writeFileSync(file, `config:\n  sender-auth:domain: [${"x".repeat(30_000)}\n`);
      });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      const lines = result.stderr.trimEnd().split("\n");
      assert.ok(lines[0]?.startsWith(`error: stack long: ${file}: not valid YAML: `), result.stderr.slice(0, 300));
      assert.ok(lines.length <= 4, result.stderr.slice(0, 300));
      for (const line of lines.slice(1)) {
        assert.ok(line.startsWith("error: ") && line.length <= "error: ".length + 160 + 40, line.slice(0, 300));
      }
      assert.ok(result.stderr.length < 1000, `stderr is ${result.stderr.length} characters`);
    });

    it("a Pulumi.yaml that is a FIFO: exit 1 naming it", async () => {
      const project = tempProject();
      const file = path.join(project.dir, "Pulumi.yaml");
      rmSync(file);
      execFileSync("mkfifo", [file]);
      const result = await runCli(["plan"], { cwd: project.dir });
      assert.deepEqual(result, {
        code: 1,
        signal: null,
        stdout: "",
        stderr: `error: ${file}: is a FIFO (named pipe), not a regular file\n`,
      });
    });

    it("a stackConfigDir outside the project is refused: by its path, and through a symbolic link", async () => {
      const up = tempProject();
      writeFileSync(
        path.join(up.dir, "Pulumi.yaml"),
        "name: sender-auth\nruntime: nodejs\nstackConfigDir: ../outside\n",
      );
      const linked = tempProject();
      const outside = realpathSync(mkdtempSync(path.join(tmpdir(), "sender-auth-outside-")));
      cleanup.push(outside);
      mkdirSync(path.join(outside, "stacks"));
      rmSync(linked.stacksDir, { recursive: true });
      symlinkSync(path.join(outside, "stacks"), linked.stacksDir);
      const [byPath, byLink] = await Promise.all([
        runCli(["plan"], { cwd: up.dir }),
        runCli(["plan"], { cwd: linked.dir }),
      ]);
      assert.deepEqual(byPath, {
        code: 1,
        signal: null,
        stdout: "",
        stderr: `error: ${path.join(up.dir, "Pulumi.yaml")}: stackConfigDir "../outside" is outside the project directory; it must be a relative path inside the project, such as stacks\n`,
      });
      assert.deepEqual(byLink, {
        code: 1,
        signal: null,
        stdout: "",
        stderr: `error: ${path.join(linked.dir, "Pulumi.yaml")}: stackConfigDir "stacks" resolves to ${path.join(outside, "stacks")}, outside the project directory ${linked.dir}; stack files must live inside the project\n`,
      });
    });
  },
);
