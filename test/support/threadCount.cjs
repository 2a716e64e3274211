"use strict";
// Preloaded (NODE_OPTIONS=--require) into a spawned `sender-auth`: when the process exits, writes the
// number of worker threads its main thread started for cli/workers/pool.ts (those given a task
// module: not, e.g., esbuild's own) to the file named by SENDER_AUTH_TEST_THREADS_FILE, so that a
// test can tell a run spread over threads from one that stayed in one thread.
const threads = require("node:worker_threads");

const file = process.env.SENDER_AUTH_TEST_THREADS_FILE;
if (file && threads.isMainThread) {
  let started = 0;
  const Worker = threads.Worker;
  threads.Worker = class CountedWorker extends Worker {
    constructor(filename, options) {
      super(filename, options);
      if (typeof options?.workerData?.module === "string") started++;
    }
  };
  process.on("exit", () => {
    require("node:fs").writeFileSync(file, String(started));
  });
}
