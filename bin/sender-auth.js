#!/usr/bin/env node
"use strict";
// Entry point of `npx sender-auth`: runs the TypeScript CLI through this repository's own lean
// TypeScript loader (bin/ts-loader.cjs), so the command works right after `npm install` with no
// build step, and starts fast.
require("./ts-loader.cjs");
const { main } = require("../cli/main.ts");

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`sender-auth: internal error: ${error && error.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
