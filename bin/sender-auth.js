#!/usr/bin/env node
"use strict";
// Entry point of `npx sender-auth`. On a Node older than 22 it runs itself again under a Node 22 from
// the npm registry (bin/node22.cjs, which, like this file, keeps to syntax old Nodes parse). Otherwise
// it runs the TypeScript CLI through this repository's own lean TypeScript loader
// (bin/ts-loader.cjs), so the command works right after `npm install` with no build step, and starts
// fast.
if (!require("./node22.cjs").reexecUnlessNode22(__filename, process.argv.slice(2))) {
  require("./ts-loader.cjs");
  const main = require("../cli/main.ts").main;

  main(process.argv.slice(2)).then(
    function (code) {
      process.exitCode = code;
    },
    function (error) {
      process.stderr.write(
        "sender-auth: internal error: " + (error && error.stack ? error.stack : String(error)) + "\n",
      );
      process.exitCode = 1;
    },
  );
}
