"use strict";
// Preloaded (NODE_OPTIONS=--require) into the program's node by test/support/engineRun.ts. When the
// process exits (process.exit() or an empty event loop) it writes, as JSON to the file named by
// SENDER_AUTH_TEST_USAGE_FILE, its peak resident set size in KiB (getrusage ru_maxrss), the CPU time of
// all its threads in milliseconds, and the CPU time spent from the moment the run entry first loads the
// program's entry module (the project's index.ts) to the exit: the program's own share, which unlike
// loading node and the SDKs does not grow when other processes compete for the cores. A process killed
// by a signal or aborted by V8 (out of memory) writes nothing.
const { writeFileSync } = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const file = process.env.SENDER_AUTH_TEST_USAGE_FILE;
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

if (file) {
  let atProgramStart;
  const load = Module._load;
  Module._load = function loadRecordingProgramStart(request, parent, isMain) {
    if (atProgramStart === undefined) {
      try {
        const resolved = Module._resolveFilename(request, parent, isMain);
        if (path.basename(resolved) === "index.ts" && !resolved.includes(NODE_MODULES)) {
          atProgramStart = process.cpuUsage();
        }
      } catch {
        // Unresolvable requests fail in load itself.
      }
    }
    return load.call(this, request, parent, isMain);
  };
  process.on("exit", () => {
    const usage = process.resourceUsage();
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
    const programCpu = atProgramStart === undefined ? undefined : process.cpuUsage(atProgramStart);
    writeFileSync(
      file,
      JSON.stringify({
        peakRssKiB: usage.maxRSS,
        cpuMs,
        ...(programCpu === undefined ? {} : { programCpuMs: (programCpu.user + programCpu.system) / 1000 }),
      }),
    );
  });
}
