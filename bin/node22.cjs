"use strict";
/**
 * Node.js 22 from the first command, even on a machine whose Node is older (issue #12).
 *
 * `npx sender-auth …` (bin/sender-auth.js) and the npm scripts that need Node 22 (`node bin/node22.cjs
 * <command…>` in package.json) come through here. On Node 22 or newer nothing happens: the CLI goes on
 * in-process, a wrapped command runs as it is. On an older Node the same work runs under a Node 22
 * taken from the npm registry, and one line on stderr says so:
 *
 * - The binary comes from the `node@22` package, fetched once with `npx --yes --package=node@22`. That
 *   package holds no binary itself: its install script runs `npm install node-<os>-<arch>@<version>`,
 *   the official Node.js build published on the npm registry, and hard-links its `bin/node`. npx keeps
 *   it in npm's cache (`~/.npm/_npx`), but resolves `node@22` against the registry again on every run
 *   (about a second, and a failure when offline), so the binary's path is remembered in
 *   node_modules/.cache/sender-auth-node22/node.json (or $SENDER_AUTH_NODE22_CACHE) and later runs start
 *   it directly, offline too.
 * - Only when that is impossible (npx missing, no registry, npm's ignore-scripts) does it stop, with one
 *   line naming the Node found, the Node needed and how to get it, exit 2.
 * - The child inherits stdin, stdout and stderr; SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGUSR2 sent to
 *   this process are passed on; the child's exit code is this process's exit code, and a child killed
 *   by a signal kills this process with the same signal.
 *
 * This file runs on whatever Node the machine has, so it keeps to ES2017 syntax, what Node 8 parses
 * (no `?.`, `??`, async/await, …); test/unit/cli/node22.test.ts parses it as ES2017.
 */
const childProcess = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const NEEDED_MAJOR = 22;
const PACKAGE = "node@22";
const ROOT = path.resolve(__dirname, "..");
/** Set in the child's environment: a child that still runs an old Node must not try again. */
const FROM_ENV = "SENDER_AUTH_NODE22_FROM";
const CACHE_ENV = "SENDER_AUTH_NODE22_CACHE";
/** The first download is ~30 MB; npm retries a failing registry for about a minute on its own. */
const FETCH_TIMEOUT_MS = 10 * 60 * 1000;
const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"].filter(function (name) {
  return os.constants.signals[name] !== undefined && !(process.platform === "win32" && name !== "SIGINT");
});
const HOW_TO_GET = "install Node.js 22 or newer (https://nodejs.org/, or `nvm install 22`) and run again";

function majorOf(version) {
  const major = parseInt(String(version).replace(/^v/, "").split(".")[0], 10);
  return isNaN(major) ? 0 : major;
}

function cacheFile(env) {
  const dir = env[CACHE_ENV]
    ? path.resolve(env[CACHE_ENV])
    : path.join(ROOT, "node_modules", ".cache", "sender-auth-node22");
  return path.join(dir, "node.json");
}

function isExecutableFile(file) {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch (error) {
    return false;
  }
}

/** The remembered Node 22 binary, if it is still there: `{ file, version }` or null. */
function readCache(env) {
  try {
    const record = JSON.parse(fs.readFileSync(cacheFile(env), "utf8"));
    if (record === null || typeof record !== "object") return null;
    if (typeof record.file !== "string" || !path.isAbsolute(record.file)) return null;
    if (typeof record.version !== "string" || majorOf(record.version) < NEEDED_MAJOR) return null;
    return isExecutableFile(record.file) ? { file: record.file, version: record.version } : null;
  } catch (error) {
    return null;
  }
}

/** Write-then-rename, so a concurrent run never reads half a record. A failure only costs a fetch next time. */
function writeCache(env, found) {
  const file = cacheFile(env);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(temporary, `${JSON.stringify({ file: found.file, version: found.version })}\n`, { flag: "wx" });
    fs.renameSync(temporary, file);
  } catch (error) {
    try {
      fs.unlinkSync(temporary);
    } catch (ignored) {
      // never created
    }
  }
}

function onPath(name, env) {
  const names = process.platform === "win32" ? [`${name}.cmd`, `${name}.exe`] : [name];
  const dirs = String(env.PATH || "").split(path.delimiter);
  for (let i = 0; i < dirs.length; i++) {
    if (dirs[i] === "") continue;
    for (let j = 0; j < names.length; j++) {
      const candidate = path.join(dirs[i], names[j]);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return null;
}

/** One line of text: no control characters, bounded length. */
function oneLine(text, max) {
  const flat = String(text)
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Why npx failed, from its stderr: npm's `npm error code …` line and the message after it. */
function npxFailure(stderr, status) {
  const lines = stderr.split(/\r?\n/).filter(function (line) {
    return /^npm (error|ERR!) /.test(line);
  });
  const text = lines
    .slice(0, 2)
    .map(function (line) {
      return line.replace(/^npm (error|ERR!) /, "");
    })
    .join(": ");
  return oneLine(text !== "" ? `npm error ${text}` : `npx ${status}`, 300);
}

/**
 * Passes SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGUSR2 on to the child that is running, from before
 * anything is said or started until the child has ended (`stop`). A signal while no child runs (or
 * while npx fetches) ends this process the way the signal would have.
 */
function signalForwarding() {
  const state = { child: null, helper: null };
  const handlers = {};
  const stop = function () {
    FORWARDED_SIGNALS.forEach(function (signal) {
      process.removeListener(signal, handlers[signal]);
    });
  };
  FORWARDED_SIGNALS.forEach(function (signal) {
    handlers[signal] = function () {
      if (state.child !== null) {
        state.child.kill(signal);
        return;
      }
      if (state.helper !== null) state.helper.kill(signal);
      stop();
      process.kill(process.pid, signal);
    };
    process.on(signal, handlers[signal]);
  });
  return { state: state, stop: stop };
}

/**
 * Fetches Node 22 with npx and calls back `(error, found)`: `found` is `{ file, version }`, `error` a
 * one-line reason. `forwarding.state.helper` is npx while it runs.
 */
function fetchNode22(env, forwarding, callback) {
  const npx = onPath("npx", env);
  if (npx === null) {
    callback("npx is not on PATH");
    return;
  }
  // `node -p` prints the path of the binary npx installed and its version.
  const args = ["--yes", `--package=${PACKAGE}`, "--", "node", "-p", "process.execPath + '\\n' + process.version"];
  const child = childProcess.spawn(npx, args, {
    cwd: ROOT,
    env: env,
    stdio: ["ignore", "pipe", "pipe"],
    shell: process.platform === "win32",
  });
  forwarding.state.helper = child;
  let stdout = "";
  let stderr = "";
  let done = false;
  const finish = function (error, found) {
    if (done) return;
    done = true;
    forwarding.state.helper = null;
    clearTimeout(timer);
    callback(error, found);
  };
  const timer = setTimeout(function () {
    child.kill("SIGTERM");
    finish(`npx --package=${PACKAGE} did not finish within ${FETCH_TIMEOUT_MS / 1000} s`);
  }, FETCH_TIMEOUT_MS);
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", function (chunk) {
    if (stdout.length < 65536) stdout += chunk;
  });
  child.stderr.on("data", function (chunk) {
    if (stderr.length < 65536) stderr += chunk;
  });
  child.on("error", function (error) {
    finish(`could not run npx: ${oneLine(error.message, 200)}`);
  });
  child.on("close", function (code, signal) {
    if (code !== 0) {
      finish(npxFailure(stderr, signal ? `was killed by ${signal}` : `exited with code ${code}`));
      return;
    }
    const lines = stdout.trim().split(/\r?\n/);
    const file = lines[lines.length - 2];
    const version = lines[lines.length - 1];
    if (file === undefined || version === undefined || !/^v\d+\.\d+\.\d+/.test(version)) {
      finish(`npx --package=${PACKAGE} printed no Node.js version`);
    } else if (majorOf(version) < NEEDED_MAJOR) {
      // The package's install script, which downloads the binary, did not run: `node` was the old one.
      const ran = oneLine(version, 20);
      finish(`npx --package=${PACKAGE} ran Node.js ${ran}: its install script did not run (npm's ignore-scripts?)`);
    } else if (!path.isAbsolute(file) || !isExecutableFile(file)) {
      finish(`npx --package=${PACKAGE} reported no usable binary`);
    } else {
      finish(null, { file: file, version: version });
    }
  });
}

/**
 * Runs `file args` with inherited stdio and mirrors its end: same exit code, or killed by the same
 * signal.
 */
function runMirrored(forwarding, file, args, env) {
  // On Windows a command from PATH (npm) is a .cmd file, which only a shell runs.
  const shell = process.platform === "win32" && !path.isAbsolute(file);
  const child = childProcess.spawn(file, args, { stdio: "inherit", env: env, shell: shell });
  forwarding.state.child = child;
  child.on("error", function (error) {
    forwarding.stop();
    process.stderr.write(`sender-auth: could not start ${file}: ${oneLine(error.message, 200)}\n`);
    process.exitCode = 2;
  });
  child.on("exit", function (code, signal) {
    forwarding.stop();
    if (signal) {
      // Die the way the child died, so a shell sees 128+n and a parent sees the signal.
      process.kill(process.pid, signal);
      // A signal whose default action is not to terminate: still fail.
      process.exitCode = 128 + (os.constants.signals[signal] || 0);
    } else {
      process.exitCode = code === null ? 1 : code;
    }
  });
}

/** The environment of the Node 22 child: its `node` first on PATH, and the marker against a second try. */
function childEnv(nodeFile) {
  const env = Object.assign({}, process.env);
  const key =
    Object.keys(env).filter(function (name) {
      return name.toUpperCase() === "PATH";
    })[0] || "PATH";
  env[key] = path.dirname(nodeFile) + (env[key] ? path.delimiter + env[key] : "");
  env[FROM_ENV] = process.version;
  return env;
}

/**
 * Gets Node 22 (remembered or fetched), says so in one line on stderr, then runs `file args` under it
 * (`file` null: the Node 22 binary itself); when that is impossible, says why in one line and exits 2.
 * `what` completes "so … runs under".
 */
function runUnderNode22(what, file, args) {
  const found = process.version;
  const fail = function (line) {
    forwarding.stop();
    process.stderr.write(`sender-auth: ${line}\n`);
    process.exitCode = 2;
  };
  const run = function (node) {
    runMirrored(forwarding, file === null ? node.file : file, args, childEnv(node.file));
  };
  // Before anything is said: a signal from here on is passed on, or ends this process.
  const forwarding = signalForwarding();
  if (process.env[FROM_ENV] !== undefined) {
    // Started by this file under a Node that was supposed to be 22: never loop.
    fail(`Node.js ${found} found although Node.js ${NEEDED_MAJOR} or newer was fetched for it; ${HOW_TO_GET}`);
    return;
  }
  const cached = readCache(process.env);
  if (cached !== null) {
    process.stderr.write(
      `sender-auth: Node.js ${found} is older than ${NEEDED_MAJOR}, so ${what} runs under Node.js ${cached.version} from the npm registry (${PACKAGE})\n`,
    );
    run(cached);
    return;
  }
  if (onPath("npx", process.env) === null) {
    fail(
      `Node.js ${found} found, Node.js ${NEEDED_MAJOR} or newer needed, and npx is not on PATH to fetch it from the npm registry; ${HOW_TO_GET}`,
    );
    return;
  }
  // One line however it ends: its start now (the first download takes a while), the outcome after.
  process.stderr.write(
    `sender-auth: Node.js ${found} is older than ${NEEDED_MAJOR}: fetching Node.js ${NEEDED_MAJOR} from the npm registry (npx --package=${PACKAGE}, once) … `,
  );
  fetchNode22(process.env, forwarding, function (error, fetched) {
    if (error !== null) {
      forwarding.stop();
      process.stderr.write(`failed (${error}); Node.js ${NEEDED_MAJOR} or newer is needed: ${HOW_TO_GET}\n`);
      process.exitCode = 2;
      return;
    }
    writeCache(process.env, fetched);
    process.stderr.write(`done; ${what} runs under Node.js ${fetched.version}\n`);
    run(fetched);
  });
}

/** Is the running Node new enough? */
function isNode22() {
  return majorOf(process.versions.node) >= NEEDED_MAJOR;
}

/**
 * For bin/sender-auth.js: on an old Node, runs `script args` under Node 22 (with this process's Node
 * options) and returns true; on Node 22 or newer returns false and the caller goes on in-process.
 */
function reexecUnlessNode22(script, args) {
  if (isNode22()) return false;
  runUnderNode22("this", null, process.execArgv.concat([script], args));
  return true;
}

exports.reexecUnlessNode22 = reexecUnlessNode22;

// `node bin/node22.cjs <command> [args…]`: runs the command with a Node 22 `node` first on PATH.
if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv.length === 0) {
    process.stderr.write("usage: node bin/node22.cjs <command> [args…]\n");
    process.exitCode = 2;
  } else if (isNode22()) {
    runMirrored(signalForwarding(), argv[0], argv.slice(1), process.env);
  } else {
    runUnderNode22(`\`${argv.join(" ")}\``, argv[0], argv.slice(1));
  }
}
