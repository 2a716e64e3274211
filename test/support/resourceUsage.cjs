"use strict";
// Preloaded (NODE_OPTIONS=--require) into the program's node by test/support/engineRun.ts. When the
// process exits (process.exit() or an empty event loop) it writes, as JSON to the file named by
// SENDER_AUTH_TEST_USAGE_FILE, its peak resident set size in KiB (getrusage ru_maxrss) and the CPU
// time of all its threads in milliseconds. A process killed by a signal or aborted by V8 (out of
// memory) writes nothing.
const { writeFileSync } = require("node:fs");

const file = process.env.SENDER_AUTH_TEST_USAGE_FILE;
if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({ peakRssKiB: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }),
    );
  });
}
