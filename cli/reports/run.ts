/**
 * Reads every input file of a `reports` run into a sink, in input order: in this thread, or, for
 * many files or when asked, in worker threads (cli/workers/pool.ts) whose results are replayed here
 * in the same order, so that the aggregation, and so the output, is byte for byte what one thread
 * produces.
 *
 * The one thing a worker cannot know is the run's bound on decompressed bytes, which depends on
 * every earlier file. A worker reads with the figure known when its batch was handed out (a lower
 * bound); when a file's own bytes could have crossed the bound from the true figure, the file is
 * read again here with the true one, so the bound cuts exactly where a single thread cuts it.
 */
import * as path from "node:path";
import { defaultWorkers, runOrdered } from "../workers/pool";
import type { InputFile } from "./files";
import { readInputFile, type ReadOptions, type ReadSink } from "./readers";
import { replay, unpackOutcomes, type ReadTask } from "./readWorker";

/**
 * With fewer files and no `--workers`, everything is read in this thread: starting threads (each
 * loads the parser afresh and compiles it anew) and passing results between them cost more than
 * they save (measured at 200 files: about 0.4 s more CPU, no faster).
 */
export const MIN_FILES_FOR_WORKERS = 500;
/** Files per task: large enough that messages cost little, small enough to share the work evenly. */
const MAX_BATCH_FILES = 32;

export interface RunOptions {
  /**
   * Worker threads (0: everything is read in this thread), or `"auto"`: one per core from
   * {@link MIN_FILES_FOR_WORKERS} files on, none below.
   */
  readonly workers: number | "auto";
}

function* batches(files: readonly InputFile[], size: number, options: ReadOptions): Generator<ReadTask> {
  for (let start = 0; start < files.length; start += size) {
    yield {
      files: files.slice(start, start + size),
      limits: options.limits,
      since: options.since,
      runUsed: options.total.used,
    };
  }
}

/**
 * Reads `files` in order into `sink`; `options.total` ends as it would after a single-threaded run.
 * Returns the number of worker threads used (0: all in this thread).
 */
export async function readInputs(
  files: readonly InputFile[],
  options: ReadOptions,
  sink: ReadSink,
  run: RunOptions,
): Promise<number> {
  const wanted = run.workers === "auto" ? (files.length >= MIN_FILES_FOR_WORKERS ? defaultWorkers() : 0) : run.workers;
  if (wanted < 1 || files.length === 0) {
    for (const file of files) await readInputFile(file, options, sink);
    return 0;
  }
  const size = Math.max(1, Math.min(MAX_BATCH_FILES, Math.ceil(files.length / (wanted * 8))));
  const workers = Math.min(wanted, Math.ceil(files.length / size));
  await runOrdered<ReadTask, string>(
    batches(files, size, options),
    async (packed, index) => {
      for (const [i, outcome] of unpackOutcomes(packed).entries()) {
        if (options.total.used + outcome.used <= options.limits.totalBytes) {
          options.total.used += outcome.used;
          replay(outcome.events, sink);
        } else {
          const file = files[index * size + i];
          if (file !== undefined) await readInputFile(file, options, sink);
        }
      }
    },
    { module: path.join(__dirname, "readWorker.ts"), workers },
  );
  return workers;
}
