/**
 * test/support/cli.ts: runCli runs a few children at a time and queues the rest; `onSpawn` starts a
 * timed test's clock when its child starts, so the time spent queued behind others is not counted.
 */
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { describe, it } from "node:test";
import { runProcess } from "../../support/cli";

describe("runProcess onSpawn", () => {
  it("is called when the child starts, after the wait for a slot: a queued run's time from spawn leaves out the wait", async () => {
    const HOLD_MS = 1500;
    const holders = Array.from({ length: availableParallelism() + 1 }, () =>
      runProcess("sleep", [String(HOLD_MS / 1000)]),
    );
    const queued = performance.now();
    let spawned: number | undefined;
    const result = await runProcess("true", [], {
      onSpawn: () => {
        spawned = performance.now();
      },
    });
    const ended = performance.now();
    await Promise.all(holders);
    assert.equal(result.code, 0);
    assert.ok(spawned !== undefined, "onSpawn was not called");
    // Queued behind every slot's `sleep`, it started only once one of them ended...
    assert.ok(spawned - queued >= HOLD_MS - 100, `spawned ${Math.round(spawned - queued)} ms after it was queued`);
    // ...and the time from its spawn is its own: `true` takes milliseconds, not the wait.
    assert.ok(ended - spawned < HOLD_MS - 100, `ran ${Math.round(ended - spawned)} ms from its spawn`);
  });
});
