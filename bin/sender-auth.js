#!/usr/bin/env node
"use strict";
// Entry point of `npx sender-auth`: runs the TypeScript CLI through tsx's CommonJS loader, so the
// command works right after `npm install` with no build step.
require("tsx/cjs");
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
