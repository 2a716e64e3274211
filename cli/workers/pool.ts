/**
 * A small pool of worker threads for CPU-bound work over many inputs (parsing 10,000 report files;
 * later planning or checking 10,000 stacks). Results come back in task order whatever the order
 * they finish in, so that output never depends on scheduling; at most `maxInFlight` tasks are
 * handed out and not yet consumed, so memory stays bounded when one slow task holds the others'
 * results back; the first error (a task that throws, a worker that dies, a consumer that throws)
 * ends the run: every worker is terminated and the error is rethrown to the caller.
 *
 * A task runs in a worker as `require(module).handle(task)`. Tasks and results cross the thread
 * boundary by structured clone (plain data: objects, arrays, Maps, strings, numbers).
 */
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { Worker, type ResourceLimits } from "node:worker_threads";

/**
 * What each thread starts with: TypeScript made loadable as the CLI does it (bin/ts-loader.cjs),
 * unless a loader is there already (tests run under tsx, whose hooks threads inherit), then the
 * serving loop (worker.ts). Evaluated source, so that no JavaScript file sits beside the TypeScript.
 */
const BOOTSTRAP = `"use strict";
const { workerData } = require("node:worker_threads");
if (require("node:module")._extensions[".ts"] === undefined) require(workerData.loader);
require(workerData.entry);
`;
const LOADER = path.join(__dirname, "..", "..", "bin", "ts-loader.cjs");
const ENTRY = path.join(__dirname, "worker.ts");

export interface PoolOptions {
  /** Absolute path of the module whose exported `handle(task)` runs each task in a worker. */
  readonly module: string;
  /** Worker threads started (at most one per task). */
  readonly workers: number;
  /** Tasks handed out but not yet consumed, across all workers. @default 2 × workers */
  readonly maxInFlight?: number;
  /** Each worker's heap limits (`new Worker`'s `resourceLimits`). @default undefined (V8's) */
  readonly resourceLimits?: ResourceLimits | undefined;
}

/** A failure inside a worker (the task threw, or the thread died), with the worker's message and stack. */
export class WorkerError extends Error {
  override readonly name = "WorkerError";
}

/** Messages between the pool and a worker (see worker.ts). */
export type ToWorker = { readonly id: number; readonly task: unknown };
export type FromWorker =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: { readonly message: string; readonly stack?: string } };

/** Worker threads worth starting on this machine: one per core the process may use. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/**
 * Runs every task of `tasks` in worker threads and calls `consume(result, index)` for each result
 * in task order, one at a time (an async consumer is awaited before the next). Resolves once every
 * result is consumed; rejects with the first error, after terminating the workers.
 */
// R is what the task module's handle() returns: stated by the caller, since nothing can check it
// across the thread boundary.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export async function runOrdered<T, R>(
  tasks: Iterable<T>,
  consume: (result: R, index: number) => void | Promise<void>,
  options: PoolOptions,
): Promise<void> {
  if (!(Number.isInteger(options.workers) && options.workers >= 1)) {
    throw new RangeError(`runOrdered: workers must be a whole number >= 1, got ${options.workers}`);
  }
  const maxInFlight = options.maxInFlight ?? 2 * options.workers;
  if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1)) {
    throw new RangeError(`runOrdered: maxInFlight must be a whole number >= 1, got ${maxInFlight}`);
  }
  const source = tasks[Symbol.iterator]();
  const workers: Worker[] = [];
  const idle: Worker[] = [];
  /** Results that arrived before the ones ahead of them, by task index. */
  const arrived = new Map<number, R>();
  let dispatched = 0;
  let consumed = 0;
  let exhausted = false;
  let consuming = false;
  let settled = false;

  return new Promise<void>((resolve, reject) => {
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      // Terminated workers cannot send anything more; the promise settles once they are gone.
      void Promise.all(workers.map((w) => w.terminate())).finally(() => {
        if (error === undefined) resolve();
        else reject(error instanceof Error ? error : new WorkerError(inspect(error)));
      });
    };

    const dispatch = (): void => {
      try {
        while (!settled && !exhausted && dispatched - consumed < maxInFlight) {
          if (idle.length === 0 && workers.length >= options.workers) break;
          const next = source.next();
          if (next.done === true) {
            exhausted = true;
            break;
          }
          const worker = idle.pop() ?? start();
          const message: ToWorker = { id: dispatched++, task: next.value };
          worker.postMessage(message);
        }
      } catch (error) {
        finish(error);
        return;
      }
      if (exhausted && consumed === dispatched && !consuming) finish();
    };

    const drain = async (): Promise<void> => {
      if (consuming) return;
      consuming = true;
      try {
        while (!settled && arrived.has(consumed)) {
          const result = arrived.get(consumed) as R;
          arrived.delete(consumed);
          await consume(result, consumed);
          consumed++;
          dispatch();
        }
      } catch (error) {
        finish(error);
      } finally {
        consuming = false;
      }
      if (!settled) dispatch();
    };

    const start = (): Worker => {
      const worker = new Worker(BOOTSTRAP, {
        eval: true,
        workerData: { loader: LOADER, entry: ENTRY, module: options.module },
        ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
      });
      workers.push(worker);
      worker.on("message", (message: FromWorker) => {
        if (settled) return;
        if ("error" in message) {
          const error = new WorkerError(message.error.message);
          if (message.error.stack !== undefined) error.stack = message.error.stack;
          finish(error);
          return;
        }
        arrived.set(message.id, message.result as R);
        idle.push(worker);
        dispatch();
        void drain();
      });
      worker.on("error", (error) => {
        finish(error);
      });
      worker.on("exit", (code) => {
        if (!settled) finish(new WorkerError(`a worker thread exited (code ${code}) before the work was done`));
      });
      return worker;
    };

    dispatch();
  });
}
