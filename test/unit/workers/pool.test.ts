/**
 * cli/workers/pool.ts: results in task order whatever order they finish in, never more than
 * `maxInFlight` tasks handed out ahead of the consumer, every failure (a task that throws, a thread
 * that dies, a consumer that throws) rejects the run, and no worker is left running.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { runOrdered, WorkerError } from "../../../cli/workers/pool";
import type { PoolTestTask } from "./poolTask";

const MODULE = path.join(__dirname, "poolTask.ts");

async function collect(
  tasks: Iterable<PoolTestTask>,
  options: { workers: number; maxInFlight?: number; resourceLimits?: { maxYoungGenerationSizeMb: number } },
  consume?: (result: { value: number; thread: number }, index: number) => void | Promise<void>,
): Promise<{ value: number; thread: number; index: number }[]> {
  const results: { value: number; thread: number; index: number }[] = [];
  await runOrdered<PoolTestTask, { value: number; thread: number }>(
    tasks,
    async (result, index) => {
      await consume?.(result, index);
      results.push({ ...result, index });
    },
    { module: MODULE, ...options },
  );
  return results;
}

describe("runOrdered", () => {
  it("returns results in task order when later tasks finish first, using every worker", async () => {
    // Early tasks are slow, late ones fast: on two threads the later ones are done first.
    const tasks = Array.from({ length: 12 }, (_, i): PoolTestTask => ({
      kind: "echo",
      value: i,
      delayMs: (12 - i) * 5,
    }));
    const results = await collect(tasks, { workers: 2 });
    assert.deepEqual(
      results.map((r) => [r.index, r.value]),
      tasks.map((_, i) => [i, i * 2]),
    );
    assert.equal(new Set(results.map((r) => r.thread)).size, 2);
  });

  it("starts every worker with the resource limits given", async () => {
    const tasks = Array.from({ length: 4 }, (): PoolTestTask => ({ kind: "limits" }));
    const limited = await collect(tasks, { workers: 2, resourceLimits: { maxYoungGenerationSizeMb: 12 } });
    assert.deepEqual(
      limited.map((r) => r.value),
      [12, 12, 12, 12],
    );
    const [unlimited] = await collect([{ kind: "limits" }], { workers: 1 });
    assert.notEqual(unlimited?.value, 12);
  });

  it("never hands out more than maxInFlight tasks ahead of the consumer", async () => {
    const started = new Int32Array(new SharedArrayBuffer(4));
    const tasks = Array.from({ length: 20 }, (_, i): PoolTestTask => ({ kind: "echo", value: i, started }));
    let most = 0;
    await collect(tasks, { workers: 2, maxInFlight: 3 }, async (_result, index) => {
      // A slow consumer: the workers would run ahead if the pool let them.
      await new Promise((resolve) => setTimeout(resolve, 10));
      most = Math.max(most, Atomics.load(started, 0) - index);
    });
    assert.equal(Atomics.load(started, 0), 20);
    assert.ok(most <= 3, `tasks started ahead of the consumer: ${most}`);
    assert.ok(most >= 2, `the pool should still run tasks ahead: ${most}`);
  });

  it("pulls tasks lazily from a generator, and starts no worker for no tasks", async () => {
    let pulled = 0;
    function* tasks(): Generator<PoolTestTask> {
      for (let i = 0; i < 5; i++) {
        pulled++;
        yield { kind: "echo", value: i };
      }
    }
    const results = await collect(tasks(), { workers: 3, maxInFlight: 2 }, (_result, index) => {
      // Task index + 2 (in flight) + 1 (the one whose result this is) at most.
      assert.ok(pulled <= index + 3, `pulled ${pulled} tasks before consuming result ${index}`);
    });
    assert.deepEqual(
      results.map((r) => r.value),
      [0, 2, 4, 6, 8],
    );
    assert.deepEqual(await collect([], { workers: 2 }), []);
  });

  it("rejects with a task's error (its message and the worker's stack) and stops", async () => {
    const tasks: PoolTestTask[] = [
      { kind: "echo", value: 1 },
      { kind: "throw", message: "task 2 failed" },
      ...Array.from({ length: 50 }, (_, i): PoolTestTask => ({ kind: "echo", value: i, delayMs: 20 })),
    ];
    const consumed: number[] = [];
    await assert.rejects(
      collect(tasks, { workers: 2 }, (_result, index) => {
        consumed.push(index);
      }),
      (error: unknown) =>
        error instanceof WorkerError && error.message === "task 2 failed" && /poolTask\.ts/.test(error.stack ?? ""),
    );
    // Nothing after the failing task is consumed.
    assert.ok(consumed.every((i) => i < 1));
  });

  it("rejects when a worker thread dies", async () => {
    await assert.rejects(
      collect([{ kind: "echo", value: 1 }, { kind: "exit" }], { workers: 1 }),
      /a worker thread exited \(code 7\) before the work was done/,
    );
  });

  it("rejects with the consumer's error", async () => {
    const tasks = Array.from({ length: 10 }, (_, i): PoolTestTask => ({ kind: "echo", value: i }));
    await assert.rejects(
      collect(tasks, { workers: 2 }, (_result, index) => {
        if (index === 3) throw new Error("consumer refused result 3");
      }),
      /^Error: consumer refused result 3$/,
    );
  });

  it("rejects with a task generator's error", async () => {
    function* tasks(): Generator<PoolTestTask> {
      yield { kind: "echo", value: 1 };
      throw new Error("no more tasks");
    }
    await assert.rejects(collect(tasks(), { workers: 2 }), /^Error: no more tasks$/);
  });

  it("refuses a pool without workers or without room for a task", async () => {
    await assert.rejects(collect([], { workers: 0 }), /workers must be a whole number >= 1, got 0/);
    await assert.rejects(collect([], { workers: 2, maxInFlight: 0 }), /maxInFlight must be a whole number >= 1, got 0/);
  });
});
