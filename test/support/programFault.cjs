"use strict";
// Fault injection for tests of the program under the SDK's run entry (test/integration/engine.test.ts),
// preloaded with NODE_OPTIONS=--require: stands in for a bug in the program's own code that throws
// inside an `apply`. When the DKIM section loads components/sections/dkim/keys.ts, it gets that
// module's exports with `privateKeysOf` (which the section's secret checks call inside the program's
// `apply` on the secret DKIM config) replaced by a function that throws a TypeError. Nothing else
// changes.
const Module = require("node:module");
const path = require("node:path");

const TARGET = path.join(__dirname, "..", "..", "components", "sections", "dkim", "keys.ts");
/** The message of the injected error. */
const MESSAGE = "injected fault: privateKeysOf failed";

const load = Module._load;
Module._load = function loadWithFault(request, parent, isMain) {
  const exports = load.call(this, request, parent, isMain);
  if (parent && Module._resolveFilename(request, parent, isMain) === TARGET) {
    return {
      ...exports,
      privateKeysOf() {
        throw new TypeError(MESSAGE);
      },
    };
  }
  return exports;
};
