/**
 * cli/mockRun.ts keeps nothing of a stack once it is planned (issue #14: a thread plans thousands):
 * the program module evaluated afresh for each stack is not left in the loader's `children` list of
 * mockRun's module, where every stack's program and its exports stayed reachable (about 9 KB a stack).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { planOutcome } from "../../../cli/commands/plan";
import { loadProject } from "../../../cli/project";
import { createTempProject, repoStackText } from "../../support/cli";

describe("runStackUnderMocks over many stacks", () => {
  const temp = createTempProject("sender-auth-mockrun-");
  after(() => {
    temp.remove();
  });

  it("leaves no evaluation of the program reachable from mockRun's module", async () => {
    for (const stack of ["a", "b", "c"]) temp.writeStack(stack, repoStackText("example-com"));
    const project = loadProject(temp.dir);
    for (const stack of ["a", "b", "c"]) {
      const outcome = await planOutcome(project, stack);
      assert.ok("plan" in outcome, JSON.stringify(outcome));
    }
    const mockRun = require.cache[require.resolve("../../../cli/mockRun")];
    assert.ok(mockRun !== undefined);
    const entry = require.resolve(project.main);
    assert.deepEqual(
      mockRun.children.filter((child) => child.id === entry),
      [],
    );
  });
});
