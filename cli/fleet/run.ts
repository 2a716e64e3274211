/**
 * Runs one command's per-stack work over a fleet (issue #14: 10,000 stacks on one machine): in this
 * thread, or spread over worker threads (cli/workers/pool.ts) in batches of consecutive stacks whose
 * results come back in stack order. Each stack's work is the same function on either path (the
 * task module calls what the command calls), so the output is byte for byte what one thread prints.
 */
import { defaultWorkers, runOrdered, type PoolOptions } from "../workers/pool";

/** `--workers N` (0: everything in this thread), or one per core once a fleet is large enough. */
export type WorkersOption = number | "auto";

/** What a task module's `handle` receives: the project, a batch of stacks, the command's own settings. */
export interface FleetTask<S> {
  /** The project's directory (Pulumi.yaml), loaded once per thread. */
  readonly dir: string;
  readonly stacks: readonly string[];
  readonly settings: S;
}

/** Batches per worker thread: enough that one slow batch does not leave a core idle at the end. */
const BATCHES_PER_WORKER = 8;

/**
 * The worker threads a run over `stacks` stacks uses: `option` itself (never more than one per stack),
 * or with "auto" one per core from `minStacks` on (below it, starting threads, each loading its
 * modules afresh, costs more than it saves), none below.
 */
export function workersFor(option: WorkersOption, stacks: number, minStacks: number): number {
  const wanted = option === "auto" ? (stacks >= minStacks ? defaultWorkers() : 0) : option;
  return Math.max(0, Math.min(wanted, stacks));
}

/**
 * Runs `stacks` in `workers` threads (at least 1), each batch of at most `maxBatch` consecutive
 * stacks as one task of `module`, whose `handle(FleetTask)` returns one result per stack of its
 * batch; returns the results in stack order. The first failure (a task that throws, a thread that
 * dies) rejects, with every thread ended.
 */
// R is what the task module returns per stack: stated by the caller, as for runOrdered.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export async function runInWorkers<S, R>(
  module: string,
  dir: string,
  stacks: readonly string[],
  settings: S,
  options: {
    readonly workers: number;
    readonly maxBatch: number;
    /** Called with the number of stacks each batch held, as its results are taken (progress). */
    readonly onBatch?: (stacks: number) => void;
    /** Each thread's heap limits. @default undefined (V8's) */
    readonly resourceLimits?: PoolOptions["resourceLimits"];
  },
): Promise<R[]> {
  const size = Math.max(
    1,
    Math.min(options.maxBatch, Math.ceil(stacks.length / (options.workers * BATCHES_PER_WORKER))),
  );
  function* tasks(): Generator<FleetTask<S>> {
    for (let start = 0; start < stacks.length; start += size) {
      yield { dir, stacks: stacks.slice(start, start + size), settings };
    }
  }
  const results: R[] = [];
  await runOrdered<FleetTask<S>, readonly R[]>(
    tasks(),
    (batch) => {
      for (const result of batch) results.push(result);
      options.onBatch?.(batch.length);
    },
    {
      module,
      workers: Math.max(1, Math.min(options.workers, Math.ceil(stacks.length / size))),
      resourceLimits: options.resourceLimits,
    },
  );
  return results;
}
