import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { CLI_BIN, REPO_ROOT } from "../support/cli";
import { WORKFLOWS, workflow, type Step, type Workflow } from "../support/workflows";

const execFileAsync = promisify(execFile);

// A job that calls a reusable workflow (deploy.yml) has no steps of its own.
const steps = (wf: Workflow): Step[] => Object.values(wf.jobs).flatMap((job) => job.steps ?? []);
const runs = (wf: Workflow): string =>
  steps(wf)
    .map((s) => s.run ?? "")
    .join("\n");

describe("GitHub workflows", () => {
  it("are well-formed YAML with jobs and steps", () => {
    const files = readdirSync(WORKFLOWS).sort();
    assert.deepEqual(files, ["ci.yml", "deploy-stacks.yml", "deploy.yml", "preview.yml", "rotate.yml"]);
    for (const file of files) {
      const wf = workflow(file);
      for (const [name, job] of Object.entries(wf.jobs)) {
        if (job.uses !== undefined) continue;
        assert.ok(Array.isArray(job.steps) && job.steps.length > 0, `${file} job ${name} has steps`);
      }
    }
  });

  it("ci.yml: Node 22, npm ci, npm test, plan --check", () => {
    const wf = workflow("ci.yml");
    const setupNode = steps(wf).find((s) => s.uses?.startsWith("actions/setup-node@"));
    assert.equal(setupNode?.with?.["node-version"], 22);
    const script = runs(wf);
    for (const command of ["npm ci", "npm test", "npx sender-auth plan --check", "npm run test:integration"]) {
      assert.ok(
        script.split("\n").some((line) => line.trim() === command),
        `ci.yml runs ${command}`,
      );
    }
  });

  it("preview.yml: pulumi/actions preview with a PR comment, bounded parallelism and pull-requests: write", () => {
    const wf = workflow("preview.yml");
    assert.equal(wf.permissions?.["pull-requests"], "write");
    const preview = steps(wf).find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.ok(preview?.with);
    const inputs = preview.with;
    assert.equal(preview.uses, "pulumi/actions@v7");
    assert.equal(inputs["command"], "preview");
    assert.equal(inputs["comment-on-pr"], true);
    assert.equal(inputs["edit-pr-comment"], true);
    const parallel = inputs["parallel"];
    assert.ok(
      typeof parallel === "number" && parallel >= 1 && parallel <= 8,
      "parallel bounded (Cloudflare and Route 53 API rate limits)",
    );
    const maxParallel = wf.jobs["preview"]?.strategy?.["max-parallel"];
    assert.ok(typeof maxParallel === "number" && maxParallel <= 8);
    assert.match(runs(wf), /npx sender-auth diff --base "origin\/\$\{BASE_REF\}" --format markdown/);
    const script = steps(wf).find((s) => s.uses?.startsWith("actions/github-script@"))?.with?.["script"];
    assert.ok(
      typeof script === "string" && script.includes("<!-- sender-auth-diff -->") && script.includes("updateComment"),
      "the diff comment is updated in place",
    );
  });

  it("ci.yml and preview.yml verify the changed stacks with check --planned (issue #12)", () => {
    const ci = workflow("ci.yml").jobs["planned-check"];
    assert.ok(ci, "ci.yml has a planned-check job");
    assert.equal(ci.if, "github.event_name == 'pull_request'");
    const ciScript = (ci.steps ?? []).map((step) => step.run ?? "").join("\n");
    assert.match(ciScript, /^selected=\$\(\.github\/scripts\/changed-stacks "origin\/\$\{BASE_REF\}"\)$/m);
    assert.match(ciScript, /^npx sender-auth check --planned --no-pulumi "\$\{stacks\[@\]\}"$/m);
    const preview = workflow("preview.yml");
    assert.match(
      runs(preview),
      /^selected=\$\(\.github\/scripts\/changed-stacks "origin\/\$\{BASE_REF\}" --with-code\)$/m,
    );
    // After the preview, in the same per-stack job, with the backend's credentials for the stored keys.
    const steps = preview.jobs["preview"]?.steps ?? [];
    const at = steps.findIndex((step) => step.uses?.startsWith("pulumi/actions@"));
    const check = steps[at + 1];
    assert.equal(check?.run, 'npx sender-auth check --planned "$STACK"');
    const expression = (text: string): string => ["$", "{{ ", text, " }}"].join("");
    assert.equal(check.env?.["STACK"], expression("matrix.stack"));
    assert.equal(check.env["PULUMI_CONFIG_PASSPHRASE"], expression("secrets.PULUMI_CONFIG_PASSPHRASE"));
  });

  it("changed-stacks: stacks whose stack file changed since the merge base; every stack on a code change with --with-code", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sender-auth-changed-stacks-"));
    const git = (...args: string[]): string =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.test", ...args], {
        cwd: dir,
        encoding: "utf8",
      });
    const script = path.join(WORKFLOWS, "..", "scripts", "changed-stacks");
    const changed = (...args: string[]): string =>
      execFileSync(script, args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    try {
      git("init", "-q", "-b", "main");
      mkdirSync(path.join(dir, "stacks"));
      mkdirSync(path.join(dir, "components"));
      for (const stack of ["a", "b", "c"]) {
        writeFileSync(path.join(dir, "stacks", `Pulumi.${stack}.yaml`), "config: {}\n");
      }
      writeFileSync(path.join(dir, "components", "x.ts"), "");
      git("add", ".");
      git("commit", "-qm", "base");
      git("checkout", "-qb", "change");
      writeFileSync(path.join(dir, "stacks", "Pulumi.b.yaml"), "config: { changed: true }\n");
      unlinkSync(path.join(dir, "stacks", "Pulumi.c.yaml"));
      writeFileSync(path.join(dir, "stacks", "Pulumi.new stack.yml"), "config: {}\n");
      git("add", "-A");
      git("commit", "-qm", "stacks");
      // Changed and still there (a deleted stack has nothing to plan), one per line, names with spaces whole.
      assert.equal(changed("main"), "b\nnew stack\n");
      assert.equal(changed("main", "--with-code"), "b\nnew stack\n");
      writeFileSync(path.join(dir, "components", "x.ts"), "// changed\n");
      git("commit", "-qam", "code");
      assert.equal(changed("main"), "b\nnew stack\n");
      assert.equal(changed("main", "--with-code"), "a\nb\nnew stack\n");
      git("checkout", "-q", "main");
      assert.equal(changed("main"), "");
      assert.throws(() => changed("no-such-ref"), "an unknown base fails, it does not select nothing");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never interpolates GitHub expressions into shell scripts (script injection); env: carries them", () => {
    const expression = "$" + "{{";
    for (const file of readdirSync(WORKFLOWS)) {
      for (const step of steps(workflow(file))) {
        assert.ok(!(step.run ?? "").includes(expression), `${file}: ${step.run ?? ""}`);
      }
    }
  });

  it("every `npx sender-auth` command and option they use exists", async () => {
    const uses = readdirSync(WORKFLOWS).flatMap((file) =>
      [...runs(workflow(file)).matchAll(/npx sender-auth ([a-z-]+)([^\n|>&;]*)/g)].map((m) => ({
        file,
        command: m[1] ?? "",
        options: [...(m[2] ?? "").matchAll(/--[a-z-]+/g)].map((o) => o[0]),
      })),
    );
    assert.ok(uses.length >= 2);
    for (const use of uses) {
      const { stdout } = await execFileAsync(process.execPath, [CLI_BIN, use.command, "--help"], { cwd: REPO_ROOT });
      assert.match(
        stdout,
        new RegExp(`^Usage: sender-auth ${use.command} `, "m"),
        `${use.file}: sender-auth ${use.command} exists`,
      );
      for (const option of use.options) {
        assert.ok(stdout.includes(option), `${use.file}: sender-auth ${use.command} accepts ${option}`);
      }
    }
  });
});
