"use strict";
/**
 * The TypeScript loader of `npx sender-auth` and of the Pulumi program (Pulumi.yaml runtime option
 * `nodeargs: --require ./bin/ts-loader.cjs`): compiles this repository's own `.ts` files to CommonJS
 * with esbuild when they are first required, and nothing else.
 *
 * Why not tsx or ts-node (BENCHMARKS.md, issue #6): tsx hooks every `.js` file too and turns on
 * source maps for all of them, which doubles the time @pulumi/pulumi takes to load (~0.55 s → ~1.1 s);
 * ts-node type-checks the program on every `pulumi up` (~16 s here) although `npm test` already
 * type-checks it. This loader leaves node_modules to Node's own loader, does not type-check, and
 * keeps each compiled file in a content-addressed cache (node_modules/.cache/sender-auth-ts), so a
 * warm start compiles nothing.
 */
const { createHash } = require("node:crypto");
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "sender-auth-ts");
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

// V8's code cache for every CommonJS module loaded from here on, our compiled files and
// node_modules alike (Node >= 22.1; Node checks each entry against the file's content).
try {
  Module.enableCompileCache?.(path.join(ROOT, "node_modules", ".cache", "sender-auth-v8"));
} catch {
  // Only slower without it.
}

/** In-process cache by file content: `plan` evaluates index.ts afresh for every stack. */
const compiled = new Map();
let esbuild;
let cacheWritable = true;

function compile(source, filename) {
  // Inline source maps only when Node will use them (--enable-source-maps), to keep compiles small.
  const sourcemap = process.sourceMapsEnabled === true;
  esbuild ??= require("esbuild");
  const options = {
    loader: "ts",
    format: "cjs",
    target: "node22",
    sourcefile: filename,
    sourcemap: sourcemap ? "inline" : false,
  };
  const key = createHash("sha256")
    .update(`${esbuild.version}\0${JSON.stringify(options)}\0${source}`)
    .digest("hex");
  const remembered = compiled.get(key);
  if (remembered !== undefined) return remembered;
  const file = path.join(CACHE_DIR, `${key}.js`);
  let code;
  try {
    code = readFileSync(file, "utf8");
  } catch {
    code = esbuild.transformSync(source, options).code;
    if (cacheWritable) {
      try {
        mkdirSync(CACHE_DIR, { recursive: true });
        // Write then rename, so a concurrent process never reads half a file.
        const temporary = `${file}.${process.pid}.tmp`;
        writeFileSync(temporary, code);
        renameSync(temporary, file);
      } catch {
        // A read-only checkout still works, only without the cache.
        cacheWritable = false;
      }
    }
  }
  compiled.set(key, code);
  return code;
}

const defaultTs = Module._extensions[".ts"];
Module._extensions[".ts"] = function loadTypeScript(module, filename) {
  if (filename.includes(NODE_MODULES) && defaultTs !== undefined) return defaultTs(module, filename);
  module._compile(compile(readFileSync(filename, "utf8"), filename), filename);
};
