"use strict";
// Benchmark preload (`node --require`): writes the process's peak resident set size (KiB, from
// getrusage) to $SENDER_AUTH_BENCH_RSS_FILE when it exits. Used alike for a subject and its floor.
const file = process.env.SENDER_AUTH_BENCH_RSS_FILE;
if (file) {
  process.on("exit", () => {
    require("node:fs").writeFileSync(file, String(process.resourceUsage().maxRSS));
  });
}
