/**
 * The task module of test/unit/workers/pool.test.ts, run in pool worker threads: each task says
 * what to do, so that a test can make tasks finish out of order, fail, or kill their thread.
 */
export type PoolTestTask =
  | { readonly kind: "echo"; readonly value: number; readonly delayMs?: number; readonly started?: Int32Array }
  | { readonly kind: "throw"; readonly message: string }
  | { readonly kind: "exit" }
  | { readonly kind: "limits" };

export async function handle(task: PoolTestTask): Promise<{ value: number; thread: number }> {
  switch (task.kind) {
    case "echo": {
      if (task.started !== undefined) Atomics.add(task.started, 0, 1);
      if (task.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, task.delayMs));
      const { threadId } = await import("node:worker_threads");
      return { value: task.value * 2, thread: threadId };
    }
    case "throw":
      throw new Error(task.message);
    case "limits": {
      // The young generation this thread was started with, as the value.
      const { resourceLimits, threadId } = await import("node:worker_threads");
      return { value: resourceLimits.maxYoungGenerationSizeMb ?? -1, thread: threadId };
    }
    case "exit":
      process.exit(7);
  }
}
