"use strict";
// Benchmark preload (`node --require`): writes the process's peak resident set size (KiB) and the
// CPU time it used, all threads together (user + system, microseconds), both from getrusage, to
// $SENDER_AUTH_BENCH_RSS_FILE when it exits. Used alike for a subject and its floor.
const file = process.env.SENDER_AUTH_BENCH_RSS_FILE;
if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    require("node:fs").writeFileSync(file, `${usage.maxRSS} ${usage.userCPUTime + usage.systemCPUTime}`);
  });
}
