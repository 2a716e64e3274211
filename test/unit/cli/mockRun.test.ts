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

describe("runStackUnderMocks and stack traces", () => {
  const temp = createTempProject("sender-auth-mockrun-traces-");
  after(() => {
    temp.remove();
  });

  it("formats the SDK's source-position stacks without frames and restores both settings", async () => {
    temp.writeStack("a", repoStackText("example-com"));
    const project = loadProject(temp.dir);
    const original = Reflect.get(Error, "prepareStackTrace") as (error: Error, frames: NodeJS.CallSite[]) => unknown;
    const limit = Error.stackTraceLimit;
    // What the formatter is handed while the SDK lifts the limit (Resource.callsites, once a resource).
    const framesSeen: number[] = [];
    const spy = (error: Error, frames: NodeJS.CallSite[]): unknown => {
      if (Error.stackTraceLimit === Number.POSITIVE_INFINITY) framesSeen.push(frames.length);
      return original(error, frames);
    };
    Error.prepareStackTrace = spy;
    try {
      const outcome = await planOutcome(project, "a");
      assert.ok("plan" in outcome, JSON.stringify(outcome));
      // One capture per registered resource, the component included, and never a frame.
      assert.ok(framesSeen.length > outcome.plan.resources.length, String(framesSeen.length));
      assert.deepEqual(new Set(framesSeen), new Set([0]));
      assert.equal(Reflect.get(Error, "prepareStackTrace"), spy);
      assert.equal(Error.stackTraceLimit, limit);
      // Outside a run, stacks keep their frames.
      assert.match(new Error("x").stack ?? "", /\n {4}at /);
    } finally {
      Error.prepareStackTrace = original;
    }
  });
});
