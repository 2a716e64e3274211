/**
 * What each cli/workers/pool.ts worker thread runs once TypeScript can be loaded: loads the task
 * module named in `workerData` and answers each task message with `handle(task)`'s result or its
 * error, one task at a time, in the order they came.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { FromWorker, ToWorker } from "./pool";

interface TaskModule {
  readonly handle: (task: unknown) => unknown;
}

const port = parentPort;
if (port === null) throw new Error("cli/workers/worker.ts runs only as a worker thread");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is named at run time
const { handle } = require((workerData as { module: string }).module) as TaskModule;

let queue: Promise<void> = Promise.resolve();
port.on("message", (message: ToWorker) => {
  queue = queue.then(async () => {
    let reply: FromWorker;
    try {
      reply = { id: message.id, result: await handle(message.task) };
    } catch (error) {
      reply = {
        id: message.id,
        error:
          error instanceof Error
            ? { message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) }
            : { message: String(error) },
      };
    }
    port.postMessage(reply);
  });
});
