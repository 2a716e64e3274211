import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { createTempProject, REPO_ROOT, REPO_STACKS_DIR, runCli, type TempProject } from "../../support/cli";

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
