/**
 * Stack names are validated before any file or `pulumi` call, in every command (issue #11): Pulumi's
 * stack-name characters (sdk/go/common/tokens/stack_name.go: letters, digits, `-`, `_`, `.`, at most
 * 100), and no leading period or hyphen, since the name becomes a file name `Pulumi.<stack>.yaml`.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { checkStackName, stackNameProblem, UsageError } from "../../../cli/project";
import { createTempProject, repoStackText, runCli, type TempProject } from "../../support/cli";
import { fakePulumiEnv, readPulumiLog } from "../../support/pulumiStandIn";

const CHARACTERS =
  "is not allowed: a stack name may only contain letters, digits, hyphens, underscores and periods (Pulumi's stack-name characters), so it is never a path";

describe("stackNameProblem", () => {
  const cases: readonly [string, string | undefined][] = [
    ["example-com", undefined],
    ["a.b_c-1", undefined],
    ["A", undefined],
    ["x".repeat(100), undefined],
    ["../../tmp/evil", `"/" at position 2 ${CHARACTERS}`],
    ["a\nb", `"\\n" at position 1 ${CHARACTERS}`],
    ["org/project/stack", `"/" at position 3 ${CHARACTERS}`],
    ["ex ample", `" " at position 2 ${CHARACTERS}`],
    ["\u001b[31mred", `"\\x1b" at position 0 ${CHARACTERS}`],
    ["bücher", `"ü" at position 1 ${CHARACTERS}`],
    ["..", "a stack name must not start with a period or a hyphen"],
    [".hidden", "a stack name must not start with a period or a hyphen"],
    ["-x", "a stack name must not start with a period or a hyphen"],
    ["", "a stack name may not be empty"],
    ["x".repeat(101), "a stack name has at most 100 characters (Pulumi's limit); this one has 101"],
  ];
  for (const [name, expected] of cases) {
    it(`${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name)} → ${expected ?? "valid"}`, () => {
      assert.equal(stackNameProblem(name), expected);
    });
  }

  it("checkStackName throws a usage error quoting the name, escaped", () => {
    assert.throws(
      () => {
        checkStackName("a\nb");
      },
      new UsageError(`invalid stack name "a\\nb": "\\n" at position 1 ${CHARACTERS}`),
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Every command, spawned

const projects: TempProject[] = [];
after(() => {
  for (const project of projects) project.remove();
});

describe("hostile stack names on the command line", { concurrency: true, timeout: 120_000 }, () => {
  // `Pulumi.../../../x/evil.yaml` under stacks/ is x/evil.yaml in the project: a file outside stacks/
  // that the old code read, and wrote through the CLI.
  const ESCAPE = "../../../x/evil";
  const project = createTempProject("sender-auth-stack-names-");
  projects.push(project);
  const evil = path.join(project.dir, "x", "evil.yaml");
  mkdirSync(path.dirname(evil));
  writeFileSync(evil, repoStackText("example-com"));
  // The issue's "invisible to plan but writable by keygen" stack file.
  writeFileSync(path.join(project.stacksDir, "Pulumi.a\nb.yaml"), repoStackText("example-com"));
  project.copyRepoStack("example-org");

  const commands: Readonly<Record<string, (stack: string) => string[]>> = {
    keygen: (stack) => ["keygen", stack, "--selector", "pwn1"],
    rotate: (stack) => ["rotate", stack, "--force"],
    export: (stack) => ["export", stack, "--selector", "s202611a", "--format", "pem"],
    plan: (stack) => ["plan", stack],
  };
  let logs = 0;
  for (const [command, args] of Object.entries(commands)) {
    for (const [stack, problem] of [
      [ESCAPE, `"/" at position 2 ${CHARACTERS}`],
      ["../../tmp/evil", `"/" at position 2 ${CHARACTERS}`],
      ["a\nb", `"\\n" at position 1 ${CHARACTERS}`],
      [".hidden", "a stack name must not start with a period or a hyphen"],
    ] as const) {
      it(`${command} ${JSON.stringify(stack)}: exit 2 before touching a file or calling pulumi`, async () => {
        const log = path.join(project.dir, `pulumi-${++logs}.log`);
        const result = await runCli(args(stack), { cwd: project.dir, env: fakePulumiEnv(log) });
        assert.deepEqual(result, {
          code: 2,
          signal: null,
          stdout: "",
          stderr: `error: invalid stack name ${JSON.stringify(stack)}: ${problem}\n`,
        });
        assert.deepEqual(readPulumiLog(log), []);
        assert.equal(readFileSync(evil, "utf8"), repoStackText("example-com"));
      });
    }
  }

  it("plan of every stack ignores a stack file whose name is no stack name, and plans the others", async () => {
    const result = await runCli(["plan", "--format", "json"], { cwd: project.dir });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      (JSON.parse(result.stdout) as { stack: string }[]).map((p) => p.stack),
      ["example-org"],
    );
  });
});
