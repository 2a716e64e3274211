/**
 * The fleet workflows (issue #14): deploy.yml and deploy-stacks.yml apply merged changes at fleet
 * scale, rotate.yml takes the rotation steps that are due through pull requests. Their structure is
 * checked as parsed YAML, and their shell — the `run:` blocks and the scripts they call — is run for
 * real with bash in temporary git repositories, with stand-ins for `npx` and `gh` on PATH that log
 * their arguments.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { CLI_BIN, REPO_ROOT } from "../support/cli";
import { WORKFLOWS, workflow, type Job, type Json, type Step, type Workflow } from "../support/workflows";

const SCRIPTS = path.join(REPO_ROOT, ".github", "scripts");

const expression = (text: string): string => ["$", "{{ ", text, " }}"].join("");

function job(wf: Workflow, name: string): Job {
  const found = wf.jobs[name];
  assert.ok(found, `job ${name}`);
  return found;
}

function step(j: Job, predicate: (s: Step) => boolean, what: string): Step {
  const found = (j.steps ?? []).find(predicate);
  assert.ok(found, what);
  return found;
}

// ---------------------------------------------------------------------------------------------------
// Running shell as a workflow step does: bash -e -o pipefail, in a directory, with stand-ins on PATH.

let sandbox: string;
let bin: string;

/** A stand-in executable that appends `<name> <args...>` to $TOOL_LOG and runs `body`. */
function standIn(name: string, body: string): void {
  const file = path.join(bin, name);
  writeFileSync(file, `#!/usr/bin/env bash\nprintf '%s\\n' "${name} $*" >> "$TOOL_LOG"\n${body}\n`);
  chmodSync(file, 0o755);
}

interface StepRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly log: string[];
  readonly output: string;
}

function runStep(script: string, cwd: string, env: Record<string, string>): StepRun {
  const log = path.join(cwd, "..", `tool-${path.basename(cwd)}.log`);
  const output = path.join(cwd, "..", `output-${path.basename(cwd)}`);
  writeFileSync(log, "");
  writeFileSync(output, "");
  const result = spawnSync("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script], {
    cwd,
    encoding: "utf8",
    env: {
      PATH: `${bin}${path.delimiter}${process.env["PATH"] ?? ""}`,
      HOME: sandbox,
      TOOL_LOG: log,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: path.join(cwd, "..", "summary.md"),
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.test",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.test",
      ...env,
    },
  });
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    log: readFileSync(log, "utf8").split("\n").filter(Boolean),
    output: readFileSync(output, "utf8"),
  };
}

/** A git repository with stacks/ (and the repository's .github/scripts), committed on main. */
function repository(name: string, stacks: readonly string[]): { dir: string; git: (...args: string[]) => string } {
  const dir = path.join(sandbox, name);
  mkdirSync(path.join(dir, "stacks"), { recursive: true });
  mkdirSync(path.join(dir, "records"));
  cpSync(SCRIPTS, path.join(dir, ".github", "scripts"), { recursive: true });
  const git = (...args: string[]): string =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.test", ...args], {
      cwd: dir,
      encoding: "utf8",
    });
  git("init", "-q", "-b", "main");
  for (const stack of stacks) {
    writeFileSync(path.join(dir, "stacks", `Pulumi.${stack}.yaml`), `config: { n: 0 }\n`);
    writeFileSync(path.join(dir, "records", `${stack}.zone`), `; ${stack} 0\n`);
  }
  git("add", ".");
  git("commit", "-qm", "base");
  return { dir, git };
}

before(() => {
  sandbox = mkdtempSync(path.join(tmpdir(), "sender-auth-fleet-workflows-"));
  bin = path.join(sandbox, "bin");
  mkdirSync(bin);
});
after(() => {
  rmSync(sandbox, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------

describe("deploy.yml: merge applies, at fleet scale", () => {
  const wf = workflow("deploy.yml");

  it("runs on pushes to main, read-only, chunks the changed stacks and calls deploy-stacks.yml per chunk", () => {
    assert.deepEqual(wf.on, { push: { branches: ["main"] } });
    assert.deepEqual(wf.permissions, { contents: "read" });
    const deploy = job(wf, "deploy");
    assert.equal(deploy.needs, "changed-stacks");
    assert.equal(deploy.uses, "./.github/workflows/deploy-stacks.yml");
    assert.equal(deploy.secrets, "inherit");
    assert.deepEqual(deploy.with, { stacks: expression("matrix.chunk") });
    assert.deepEqual(deploy.strategy?.matrix, {
      chunk: expression("fromJSON(needs.changed-stacks.outputs.chunks)"),
    });
    assert.equal(deploy.strategy["fail-fast"], false);
    assert.equal(deploy.if, "needs.changed-stacks.outputs.chunks != '[]'");
  });

  it("changed-stacks: the pushed range's changed stacks (changed-stacks --with-code), every stack without a previous commit", () => {
    const run = step(job(wf, "changed-stacks"), (s) => s.id === "changed", "the changed step").run ?? "";
    const repo = repository("deploy-changed", ["a", "b", "c"]);
    const before = repo.git("rev-parse", "HEAD").trim();
    writeFileSync(path.join(repo.dir, "stacks", "Pulumi.b.yaml"), "config: { n: 1 }\n");
    repo.git("commit", "-qam", "b");
    const changed = runStep(run, repo.dir, { BEFORE: before });
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(changed.output, `chunks=${JSON.stringify([JSON.stringify(["b"])])}\n`);
    // A first push: github.event.before is all zeros.
    const all = runStep(run, repo.dir, { BEFORE: "0".repeat(40) });
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.output, `chunks=${JSON.stringify([JSON.stringify(["a", "b", "c"])])}\n`);
    // Nothing changed: no chunk, so the deploy job is skipped.
    const none = runStep(run, repo.dir, { BEFORE: repo.git("rev-parse", "HEAD").trim() });
    assert.equal(none.output, "chunks=[]\n");
  });

  it("matrix-chunks: at most 256 stacks per chunk, in order; at most 256 chunks", () => {
    const chunks = (input: string, ...args: string[]) =>
      spawnSync(path.join(SCRIPTS, "matrix-chunks"), args, { input, encoding: "utf8" });
    const names = Array.from({ length: 600 }, (_, i) => `s${String(i).padStart(3, "0")}`);
    const result = chunks(`${names.join("\n")}\n`);
    assert.equal(result.status, 0, result.stderr);
    const parsed = (JSON.parse(result.stdout) as string[]).map((c) => JSON.parse(c) as string[]);
    assert.deepEqual(
      parsed.map((c) => c.length),
      [256, 256, 88],
    );
    assert.deepEqual(parsed.flat(), names);
    assert.equal(chunks("\n\n").stdout, "[]\n");
    assert.equal(
      chunks("a\nb\nc\n", "2").stdout,
      `${JSON.stringify([JSON.stringify(["a", "b"]), JSON.stringify(["c"])])}\n`,
    );
    for (const bad of ["0", "257", "x", "-1"]) {
      const refused = chunks("a\n", bad);
      assert.equal(refused.status, 2, bad);
      assert.match(refused.stderr, /SIZE must be a whole number from 1 to 256/);
    }
    const tooMany = chunks(`${names.slice(0, 257).join("\n")}\n`, "1");
    assert.equal(tooMany.status, 1);
    assert.equal(tooMany.stderr, "matrix-chunks: 257 chunks of 1 stacks are more than one matrix of 256 can run\n");
  });
});

describe("deploy-stacks.yml: one job per stack", () => {
  const wf = workflow("deploy-stacks.yml");
  const up = job(wf, "up");

  it("is called with a JSON array of stacks; one concurrency group per stack, never cancelled in progress", () => {
    assert.deepEqual(wf.on, {
      workflow_call: {
        inputs: {
          stacks: { description: "JSON array of stack names (at most 256)", type: "string", required: true },
        },
      },
    });
    assert.deepEqual(up.strategy?.matrix, { stack: expression("fromJSON(inputs.stacks)") });
    assert.deepEqual(up.concurrency, {
      group: `deploy-stack-${expression("matrix.stack")}`,
      "cancel-in-progress": false,
    });
    const parallel = up.strategy["max-parallel"];
    assert.ok(typeof parallel === "number" && parallel >= 1 && parallel <= 8);
  });

  it("pulumi up through pulumi/actions, with the DNS provider and secrets provider credentials", () => {
    const steps = up.steps ?? [];
    const at = steps.findIndex((s) => s.uses === "pulumi/actions@v7");
    const pulumi = steps[at];
    assert.equal(pulumi?.with?.["command"], "up");
    assert.equal(pulumi.with["stack-name"], expression("matrix.stack"));
    for (const secret of [
      "PULUMI_ACCESS_TOKEN",
      "PULUMI_CONFIG_PASSPHRASE",
      "CLOUDFLARE_API_TOKEN",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
    ]) {
      assert.equal(pulumi.env?.[secret], expression(`secrets.${secret}`), secret);
    }
    // npm ci first: the program runs with the repository's dependencies.
    assert.ok(steps.findIndex((s) => s.run === "npm ci") < at);
    assert.equal(steps[at + 1]?.env?.["STACK"], expression("matrix.stack"));
  });

  it("then checks the stack live, retrying while the change propagates, and fails the job when it does not verify", () => {
    const verify = step(up, (s) => (s.run ?? "").includes("sender-auth check"), "the check step");
    const script = verify.run ?? "";
    assert.match(script, /npx sender-auth check --authoritative "\$STACK"/);
    const dir = path.join(sandbox, "verify");
    mkdirSync(dir, { recursive: true });
    const env = { STACK: "example-com", CHECK_ATTEMPTS: "4", CHECK_WAIT: "0" };
    // Fails twice (a TTL or propagation wait), then verifies: the job passes.
    standIn(
      "npx",
      `n=$(grep -c '^npx ' "$TOOL_LOG"); if [ "$n" -le 2 ]; then echo "not yet"; exit 1; fi; echo verified`,
    );
    const passes = runStep(script, dir, env);
    assert.equal(passes.code, 0, passes.stderr);
    assert.deepEqual(passes.log, Array(3).fill("npx sender-auth check --authoritative example-com"));
    assert.equal(
      passes.stdout,
      "not yet\nattempt 1 of 4: example-com does not verify yet; again in 0 s\nnot yet\nattempt 2 of 4: example-com does not verify yet; again in 0 s\nverified\n",
    );
    // Never verifies: every attempt made, then the job fails.
    standIn("npx", "exit 1");
    const fails = runStep(script, dir, env);
    assert.equal(fails.code, 1);
    assert.equal(fails.log.length, 4);
    assert.match(fails.stdout, /::error::stack example-com does not verify after 4 attempts/);
  });
});

describe("rotate.yml: rotation that runs itself through pull requests", () => {
  const wf = workflow("rotate.yml");
  const rotate = job(wf, "rotate");

  it("weekly and on demand, one run at a time, may push branches and open pull requests", () => {
    assert.deepEqual(wf.on["schedule"], [{ cron: "17 6 * * 1" }]);
    assert.deepEqual(Object.keys((wf.on["workflow_dispatch"] as { inputs: Record<string, Json> }).inputs), [
      "stacks",
      "approve-revoke",
      "dry-run",
    ]);
    assert.deepEqual(wf.permissions, { contents: "write", "pull-requests": "write" });
    assert.deepEqual(wf.concurrency, { group: "rotate", "cancel-in-progress": false });
    // rotate stores new keys through the Pulumi CLI; no DNS provider token: nothing is applied here.
    assert.ok((rotate.steps ?? []).some((s) => s.uses === "pulumi/actions@v7" && s.with === undefined));
    const text = readFileSync(path.join(WORKFLOWS, "rotate.yml"), "utf8");
    assert.ok(!/CLOUDFLARE_API_TOKEN: |AWS_SECRET_ACCESS_KEY: /.test(text));
  });

  it("runs rotate --due with the options its settings ask for, and keeps its exit code for the end", () => {
    const run = step(rotate, (s) => s.id === "rotate", "the rotate step");
    assert.equal(run.env?.["PULUMI_CONFIG_PASSPHRASE"], expression("secrets.PULUMI_CONFIG_PASSPHRASE"));
    const dir = path.join(sandbox, "rotate-step");
    mkdirSync(path.join(dir, "dmarc"), { recursive: true });
    standIn("npx", `echo "b-old: started s202706a"; exit 3`);
    const all = runStep(run.run ?? "", dir, {
      STACKS: "",
      APPROVE_REVOKE: "",
      DRY_RUN: "false",
      RESOLVER: "",
      REPORTS: "",
    });
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(all.log, ["npx sender-auth rotate --due --"]);
    assert.equal(all.output, "code=3\n");
    assert.equal(readFileSync(path.join(dir, "rotate.log"), "utf8"), "b-old: started s202706a\n");
    const some = runStep(run.run ?? "", dir, {
      STACKS: "a-fresh  b-old",
      APPROVE_REVOKE: "f-retired g x",
      DRY_RUN: "true",
      RESOLVER: "1.1.1.1",
      REPORTS: "dmarc",
    });
    assert.deepEqual(some.log, [
      "npx sender-auth rotate --due --resolver 1.1.1.1 --reports dmarc --approve-revoke f-retired --approve-revoke g --approve-revoke x --dry-run -- a-fresh b-old",
    ]);
    // Every option the step builds is one rotate has.
    const help = execFileSync(process.execPath, [CLI_BIN, "rotate", "--help"], { cwd: REPO_ROOT, encoding: "utf8" });
    for (const option of (some.log[0] ?? "").match(/--[a-z][a-z-]*/g) ?? []) {
      assert.ok(help.includes(`${option} `) || help.includes(`${option}\n`), `rotate accepts ${option}`);
    }
    // A reports path that is not there is left out rather than failing every week.
    const missing = runStep(run.run ?? "", dir, {
      STACKS: "",
      APPROVE_REVOKE: "",
      DRY_RUN: "false",
      RESOLVER: "",
      REPORTS: "no-such-dir",
    });
    assert.deepEqual(missing.log, ["npx sender-auth rotate --due --"]);
    const fail = step(rotate, (s) => s.if === "steps.rotate.outputs.code != '0'", "the final failure step");
    assert.equal(fail.env?.["CODE"], expression("steps.rotate.outputs.code"));
  });

  it("plan --write and the pull requests cover exactly the stacks whose file changed", () => {
    const changed = step(rotate, (s) => s.id === "changed", "the changed step");
    const repo = repository("rotate-changed", ["a", "b", "c"]);
    writeFileSync(path.join(repo.dir, "stacks", "Pulumi.c.yaml"), "config: { n: 1 }\n");
    writeFileSync(path.join(repo.dir, "stacks", "Pulumi.a.yaml"), "config: { n: 1 }\n");
    const result = runStep(changed.run ?? "", repo.dir, {});
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.output, 'stacks=["a","c"]\n');
    assert.equal(readFileSync(path.join(repo.dir, "changed.txt"), "utf8"), "a\nc\n");
    const plan = step(rotate, (s) => (s.run ?? "").includes("plan --write"), "the plan step");
    assert.equal(plan.if, "steps.changed.outputs.stacks != '[]'");
    standIn("npx", "");
    const planned = runStep(plan.run ?? "", repo.dir, {});
    assert.deepEqual(planned.log, ["npx sender-auth plan --write a c"]);
    const prs = step(rotate, (s) => (s.run ?? "").includes("rotation-prs"), "the pull request step");
    assert.equal(prs.env?.["GH_TOKEN"], expression("secrets.SENDER_AUTH_PR_TOKEN || github.token"));
    assert.match(prs.run ?? "", /^\.github\/scripts\/rotation-prs "\$BASE_BRANCH" rotate\.log "\$\{stacks\[@\]\}"$/m);
  });

  it("rotation-prs: a branch and pull request per stack holding only its change, updated on the next run", () => {
    const origin = path.join(sandbox, "origin.git");
    execFileSync("git", ["init", "-q", "--bare", "-b", "main", origin]);
    const repo = repository("rotate-prs", ["a", "b", "c"]);
    repo.git("remote", "add", "origin", origin);
    repo.git("push", "-q", "origin", "main");
    const head = repo.git("rev-parse", "HEAD").trim();
    // What rotate --due and plan --write left: two stacks changed, one with a new snapshot file.
    writeFileSync(path.join(repo.dir, "stacks", "Pulumi.a.yaml"), "config: { n: 1 }\n");
    writeFileSync(path.join(repo.dir, "records", "a.zone"), "; a 1\n");
    writeFileSync(path.join(repo.dir, "stacks", "Pulumi.c.yaml"), "config: { n: 1 }\n");
    writeFileSync(path.join(repo.dir, "records", "c.zone"), "; c 1\n");
    writeFileSync(path.join(repo.dir, "rotate.log"), "a: started s202706a\nb: nothing due\nc: activated s2\n");
    const before = repo.git("status", "--porcelain");
    // diff sees only the stack being proposed; gh has no pull request for the branch on the first run.
    standIn("npx", `echo "diff:"; git status --porcelain -- stacks records`);
    standIn("gh", `if [ "$1 $2" = "pr list" ]; then cat "$PRS" 2>/dev/null || true; fi`);
    const prs = path.join(sandbox, "prs");
    const script = `.github/scripts/rotation-prs main rotate.log a c`;
    const first = runStep(script, repo.dir, { PRS: prs });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(
      first.stdout,
      "a: opened a pull request (sender-auth/rotate/a)\nc: opened a pull request (sender-auth/rotate/c)\n",
    );
    const creates = first.log.filter((l) => l.startsWith("gh pr create"));
    assert.equal(creates.length, 2);
    assert.match(
      creates[0] ?? "",
      /^gh pr create --head sender-auth\/rotate\/a --base main --title sender-auth rotate: a: started s202706a --body-file /,
    );
    for (const [stack, other] of [
      ["a", "c"],
      ["c", "a"],
    ] as const) {
      const branch = `sender-auth/rotate/${stack}`;
      const bare = (...args: string[]): string =>
        execFileSync("git", ["--git-dir", origin, ...args], { encoding: "utf8" });
      assert.equal(bare("rev-parse", `${branch}^`).trim(), head, `${branch} is one commit on main`);
      assert.deepEqual(bare("diff", "--name-only", head, branch).trim().split("\n"), [
        `records/${stack}.zone`,
        `stacks/Pulumi.${stack}.yaml`,
      ]);
      assert.equal(bare("show", `${branch}:stacks/Pulumi.${stack}.yaml`), "config: { n: 1 }\n");
      assert.equal(bare("show", `${branch}:stacks/Pulumi.${other}.yaml`), "config: { n: 0 }\n");
    }
    // The body: what was done, then the diff of that stack's change alone.
    const bodyOf = (logLine: string): string => logLine.replace(/^.*--body-file /, "");
    assert.ok(bodyOf(creates[0] ?? "").length > 0);
    // The working tree as found.
    assert.equal(repo.git("status", "--porcelain"), before);
    assert.equal(readFileSync(path.join(repo.dir, "records", "a.zone"), "utf8"), "; a 1\n");

    // Next run: the pull requests exist, so they are updated (and the branches replaced).
    writeFileSync(prs, "7\n");
    writeFileSync(path.join(repo.dir, "stacks", "Pulumi.a.yaml"), "config: { n: 2 }\n");
    const second = runStep(script, repo.dir, { PRS: prs });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(
      second.stdout,
      "a: updated pull request #7 (sender-auth/rotate/a)\nc: updated pull request #7 (sender-auth/rotate/c)\n",
    );
    assert.match(
      second.log.find((l) => l.startsWith("gh pr edit")) ?? "",
      /^gh pr edit 7 --title sender-auth rotate: a: started s202706a --body-file /,
    );
    assert.equal(
      execFileSync("git", ["--git-dir", origin, "show", "sender-auth/rotate/a:stacks/Pulumi.a.yaml"], {
        encoding: "utf8",
      }),
      "config: { n: 2 }\n",
    );
  });

  it("rotation-prs: the body is the stack's diff alone; an unchanged stack gets no pull request; a bad name is refused", () => {
    const origin = path.join(sandbox, "origin2.git");
    execFileSync("git", ["init", "-q", "--bare", "-b", "main", origin]);
    const repo = repository("rotate-body", ["a", "b"]);
    repo.git("remote", "add", "origin", origin);
    writeFileSync(path.join(repo.dir, "stacks", "Pulumi.a.yaml"), "config: { n: 1 }\n");
    writeFileSync(path.join(repo.dir, "stacks", "Pulumi.b.yaml"), "config: { n: 1 }\n");
    writeFileSync(path.join(repo.dir, "rotate.log"), "a: started s202706a\n");
    const bodies = path.join(sandbox, "bodies");
    mkdirSync(bodies);
    standIn("npx", `git status --porcelain -- stacks`);
    standIn("gh", `if [ "$1 $2" = "pr create" ]; then cp "\${10}" "${bodies}/$(basename "$4").md"; fi`);
    const result = runStep(".github/scripts/rotation-prs main rotate.log a c", repo.dir, {});
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "a: opened a pull request (sender-auth/rotate/a)\nc: nothing changed, no pull request\n",
    );
    assert.equal(
      readFileSync(path.join(bodies, "a.md"), "utf8"),
      "Proposed by the scheduled key rotation (`.github/workflows/rotate.yml`):\n\n    a: started s202706a\n\n" +
        "Merging it applies the change (`.github/workflows/deploy.yml`). A newer run replaces this proposal until it is merged.\n\n" +
        " M stacks/Pulumi.a.yaml\n",
    );
    const refused = runStep(".github/scripts/rotation-prs main rotate.log --force", repo.dir, {});
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, "rotation-prs: '--force' is not a stack name\n");
  });
});
