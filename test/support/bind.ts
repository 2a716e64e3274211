/**
 * Integration-test harness: runs a real BIND 9 (`named`, Debian package
 * bind9) on 127.0.0.1 at a free port, authoritative for the given zones.
 *
 *   const server = await startBind([{ origin: "example.com", body: `
 *     @       IN TXT "v=spf1 -all"
 *     _dmarc  IN TXT "v=DMARC1; p=reject"
 *   ` }]);
 *   try { await server.resolve("example.com", "TXT"); } finally { await server.stop(); }
 *
 * Everything (named.conf, zone files, pid/lock/session-key files) lives in a
 * fresh mkdtemp directory that stop() removes. The server is authoritative
 * only (`recursion no`, unless `options.recursion`), listens on 127.0.0.1 only (UDP and TCP, no IPv6) and
 * has no control channel. named is started in the foreground (`-g`) as a
 * child process; its log (stderr) is captured and included in start errors.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promises as dnsPromises } from "node:dns";
import { accessSync, constants as fsConstants, rmSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { TestContext } from "node:test";
import { freePort } from "./ports";

export interface ZoneSpec {
  /** Zone apex, e.g. "example.com" (no trailing dot; one is tolerated). */
  origin: string;
  /**
   * Master-file records, relative to the origin (may contain $ORIGIN/$TTL
   * lines). The harness prepends `$ORIGIN`, `$TTL 300`, the apex SOA, the apex
   * NS `ns1.<origin>.` and `ns1 A 127.0.0.1` itself, so do not add an SOA.
   * Common leading indentation is removed (indented template literals are
   * fine); a record line indented deeper than the rest continues the previous
   * owner, as in any master file. Write `@` for apex records.
   */
  body: string;
}

export interface BindServer {
  host: "127.0.0.1";
  port: number;
  /** dns.promises.Resolver pointed at the server. */
  resolver: dnsPromises.Resolver;
  /**
   * mailauth-compatible resolver with the contract of dns.promises.resolve:
   * TXT returns string[][], MX returns {exchange, priority}[]; errors carry
   * code ENOTFOUND (NXDOMAIN) / ENODATA (name exists, no such type). It does
   * not use `this`, so it may be passed around unbound (`{ resolver: server.resolve }`). For mailauth's
   * `DNSResolver` type use `server.resolve as DNSResolver`.
   */
  resolve: (name: string, rrtype: string) => Promise<unknown>;
  /** Temporary directory with named.conf and the zone files; stop() removes it. */
  readonly dir: string;
  /** Kills named, waits for it to exit and removes the temporary directory. Idempotent. */
  stop: () => Promise<void>;
  /**
   * The query-log lines (`client ...: query: <name> IN <type> ...`) of every question asked since
   * startBind returned, the harness's own readiness probes excluded; empty without `queryLog`.
   * named writes its log to a pipe that this process reads when it gets to it, so a question that
   * was answered may not be logged here yet: this asks a marker question and waits until named has
   * logged it (named runs one worker, `-n 1`, so it logs in the order it received), which puts
   * every earlier question in the log.
   */
  queries: () => Promise<readonly string[]>;
}

const STARTUP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;
const STDERR_LIMIT = 256 * 1024;
const ZONE_TTL = 300;

// ---------------------------------------------------------------------------
// Locating the binaries

function findExecutable(name: string, extraDirs: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter((d) => d !== ""), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function namedPath(): string | undefined {
  return findExecutable("named", ["/usr/sbin", "/usr/local/sbin"]);
}

function checkzonePath(): string | undefined {
  return bindToolPath("named-checkzone");
}

/** A BIND checking tool (bind9-utils) on PATH or in the usual directories. */
export function bindToolPath(name: "named-checkzone" | "named-checkconf"): string | undefined {
  return findExecutable(name, ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]);
}

/** Is the named binary on PATH or in /usr/sbin? */
export function namedAvailable(): boolean {
  return namedPath() !== undefined;
}

function ciMode(): boolean {
  const ci = (process.env.CI ?? "").toLowerCase();
  return ci === "true" || ci === "1";
}

/**
 * Call first thing in an integration test:
 *
 *   test("...", async (t) => { if (skipOrFailWithoutNamed(t)) return; ... });
 *
 * Returns false when named is installed. When it is missing: under CI=true it
 * throws (the test fails); otherwise it skips the test with t.skip(), prints a
 * loud line to stderr and returns true so the caller can return early.
 */
export function skipOrFailWithoutNamed(t: TestContext | undefined): boolean {
  if (namedAvailable()) return false;
  if (ciMode()) {
    throw new Error(
      "named (bind9) is required for the integration tests under CI=true but was not found on PATH or in /usr/sbin; " +
        "install bind9: apt-get update && apt-get install -y bind9 bind9-dnsutils",
    );
  }
  const message = "named not installed: apt-get install bind9 bind9-dnsutils (integration test skipped)";
  process.stderr.write(`\n!!!!! SKIPPED: ${message}${t ? `: ${t.name}` : ""} !!!!!\n\n`);
  t?.skip(message);
  return true;
}

/** Same as {@link skipOrFailWithoutNamed}. */
export const bindUnavailable = skipOrFailWithoutNamed;

// ---------------------------------------------------------------------------
// Zone files

/**
 * Renders a TXT value as master-file rdata: quoted character-strings of at
 * most 255 octets each (UTF-8), with `"`, `\` and non-printable octets escaped.
 */
export function txtRdata(value: string): string {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length === 0) return '""';
  const parts: string[] = [];
  for (let start = 0; start < bytes.length; start += 255) {
    let quoted = "";
    for (const byte of bytes.subarray(start, start + 255)) {
      if (byte === 0x22 || byte === 0x5c) quoted += `\\${String.fromCharCode(byte)}`;
      else if (byte < 0x20 || byte > 0x7e) quoted += `\\${byte.toString().padStart(3, "0")}`;
      else quoted += String.fromCharCode(byte);
    }
    parts.push(`"${quoted}"`);
  }
  return parts.join(" ");
}

function normalizeOrigin(origin: string): string {
  const name = origin.trim().replace(/\.$/, "").toLowerCase();
  // Restrictive on purpose: the name ends up inside named.conf and a file name.
  if (!/^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/.test(name) || name.length > 253) {
    throw new Error(`startBind: invalid zone origin ${JSON.stringify(origin)}`);
  }
  return name;
}

/** Removes the whitespace prefix common to all non-blank lines. */
function dedent(text: string): string {
  const lines = text.split(/\r?\n/);
  let common: string | undefined;
  for (const line of lines) {
    if (line.trim() === "") continue;
    const indent = /^[ \t]*/.exec(line)?.[0] ?? "";
    if (common === undefined) {
      common = indent;
    } else {
      let i = 0;
      while (i < common.length && i < indent.length && common[i] === indent[i]) i++;
      common = common.slice(0, i);
    }
  }
  const prefix = common ?? "";
  return lines.map((line) => (line.startsWith(prefix) ? line.slice(prefix.length) : line.trimStart())).join("\n");
}

function zoneFileText(origin: string, body: string): string {
  const apex = `${origin}.`;
  return [
    `$ORIGIN ${apex}`,
    `$TTL ${ZONE_TTL}`,
    `@ IN SOA ns1.${apex} hostmaster.${apex} ( 1 3600 600 86400 ${ZONE_TTL} )`,
    `ns1.${apex} IN A 127.0.0.1`,
    // Last so that a body starting with an indented record continues the apex.
    `@ IN NS ns1.${apex}`,
    "; ---- test records ----",
    dedent(body),
    "",
  ].join("\n");
}

function numbered(text: string): string {
  return text
    .split("\n")
    .map((line, i) => `${String(i + 1).padStart(4)}  ${line}`)
    .join("\n");
}

interface ExecResult {
  code: number | null;
  output: string;
}

function run(file: string, args: readonly string[]): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: "utf8", timeout: 30_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (error === null) {
        resolve({ code: 0, output });
      } else {
        const code = typeof error.code === "number" ? error.code : null;
        resolve({ code, output: output === "" ? error.message : output });
      }
    });
  });
}

async function checkZone(checkzone: string, origin: string, file: string, text: string): Promise<void> {
  // check-names is disabled both here and in named.conf so test zones may use
  // any owner names, as hosted DNS providers allow.
  const result = await run(checkzone, ["-k", "ignore", origin, file]);
  if (result.code !== 0) {
    throw new Error(`named-checkzone rejected zone ${origin}:\n${result.output}\n--- ${file} ---\n${numbered(text)}`);
  }
}

// ---------------------------------------------------------------------------
// Ports and named.conf

function q(path: string): string {
  return JSON.stringify(path); // named.conf strings use the same escapes for our paths
}

/** Server behaviour beyond the defaults (authoritative only, no query log). */
export interface BindOptions {
  /**
   * Answer recursive queries from the served zones, so that a CNAME into another served zone is
   * followed, as a resolver would (names outside the zones would go to the root servers: serve a
   * parent zone too). @default false
   */
  readonly recursion?: boolean;
  /** Keep every query BIND logs (`client ...: query: <name> IN <type> ...`), see `BindServer.queries`. @default false */
  readonly queryLog?: boolean;
}

function namedConf(
  dir: string,
  port: number,
  zones: readonly { origin: string; file: string }[],
  options: BindOptions = {},
): string {
  const p = (name: string): string => q(join(dir, name));
  return [
    "options {",
    `  directory ${q(dir)};`,
    `  pid-file ${p("named.pid")};`,
    `  lock-file ${p("named.lock")};`,
    `  session-keyfile ${p("session.key")};`,
    `  managed-keys-directory ${q(dir)};`,
    `  dump-file ${p("named_dump.db")};`,
    `  statistics-file ${p("named.stats")};`,
    `  memstatistics-file ${p("named.memstats")};`,
    `  listen-on port ${port} { 127.0.0.1; };`,
    "  listen-on-v6 { none; };",
    `  recursion ${options.recursion === true ? "yes" : "no"};`,
    ...(options.queryLog === true ? ["  querylog yes;"] : []),
    "  allow-query { any; };",
    "  allow-transfer { none; };",
    "  notify no;",
    "  dnssec-validation no;",
    "  check-names primary ignore;",
    "  automatic-interface-scan no;",
    "  version none;",
    "};",
    "controls { };",
    ...zones.map((z) => `zone ${q(z.origin)} { type primary; file ${q(z.file)}; };`),
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------
// Process management

const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/** Last resort if a test forgets stop(): kill named and remove its directory when node exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const [child, dir] of live) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

interface Named {
  child: ChildProcess;
  stderr: () => string;
  /** Query-log lines so far (with `queryLog`). */
  queries: () => readonly string[];
  exited: () => { code: number | null; signal: NodeJS.Signals | null } | undefined;
  spawnError: () => Error | undefined;
  waitExit: (ms: number) => Promise<boolean>;
}

function spawnNamed(binary: string, confPath: string, keepQueries: boolean): Named {
  const child = spawn(binary, ["-g", "-4", "-n", "1", "-c", confPath], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  // named -g logs to stderr only (its logging statement is ignored), query log included.
  const queries: string[] = [];
  let partial = "";
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exitWaiters: (() => void)[] = [];
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    log += chunk;
    if (keepQueries) {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.includes(" query: ")) queries.push(line);
    }
    if (log.length > STDERR_LIMIT) log = log.slice(log.length - STDERR_LIMIT);
  });
  child.on("error", (error) => {
    spawnError = error;
    exitInfo ??= { code: null, signal: null };
    for (const w of exitWaiters.splice(0)) w();
  });
  child.on("exit", (code, signal) => {
    exitInfo = { code, signal };
    for (const w of exitWaiters.splice(0)) w();
  });
  // Do not keep the test process alive on account of named; the exit hook
  // kills it if stop() was never called.
  child.unref();
  if (child.stderr instanceof Socket) child.stderr.unref();
  return {
    child,
    stderr: () => log,
    queries: () => queries,
    exited: () => exitInfo,
    spawnError: () => spawnError,
    waitExit: (ms) =>
      new Promise<boolean>((resolve) => {
        if (exitInfo !== undefined) {
          resolve(true);
          return;
        }
        // This timer is ref'd, so node stays alive until named has exited.
        const timer = setTimeout(() => {
          resolve(false);
        }, ms);
        exitWaiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      }),
  };
}

async function kill(named: Named): Promise<void> {
  if (named.exited() !== undefined) return;
  named.child.kill("SIGTERM");
  if (await named.waitExit(5_000)) return;
  named.child.kill("SIGKILL");
  await named.waitExit(5_000);
}

/** named's log without the build/configure banner, last `max` characters. */
function logTail(log: string, max = 8_000): string {
  const lines = log.split("\n").filter((line) => !/ (built with|compiled (by|with)|linked to) /.test(line));
  const text = lines.join("\n").trim();
  return text.length > max ? `...${text.slice(text.length - max)}` : text;
}

function isAddressInUse(log: string): boolean {
  return /address in use|unable to listen on any configured interfaces|interface ignored/i.test(log);
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

type StartOutcome = "ready" | "exited" | "timeout";

async function waitReady(named: Named, port: number, origins: readonly string[]): Promise<StartOutcome> {
  const probe = new dnsPromises.Resolver({ timeout: 250, tries: 1 });
  probe.setServers([`127.0.0.1:${port}`]);
  // Hundreds of zones (the check benchmark) take named longer to load; each answered zone is
  // remembered, and the rest are probed a batch at a time.
  const deadline = Date.now() + STARTUP_TIMEOUT_MS + 20 * origins.length;
  let waiting = [...origins];
  try {
    while (Date.now() < deadline) {
      if (named.exited() !== undefined) return "exited";
      const batch = waiting.slice(0, 50);
      const answered = await Promise.all(
        batch.map((origin) =>
          probe.resolveSoa(origin).then(
            () => true,
            // not up yet (connection refused / timeout / SERVFAIL while loading)
            () => false,
          ),
        ),
      );
      waiting = [...batch.filter((_, i) => answered[i] !== true), ...waiting.slice(batch.length)];
      if (waiting.length === 0) return "ready";
      if (named.exited() !== undefined) return "exited";
      if (answered.every((ok) => !ok)) await sleep(50);
    }
    return "timeout";
  } finally {
    probe.cancel();
  }
}

// ---------------------------------------------------------------------------

/**
 * Starts named serving `zones` on 127.0.0.1 at a free port and resolves once
 * it answers the SOA query of every zone. Throws (with named-checkzone's or
 * named's output) if a zone is invalid or named does not come up within ~10 s
 * (plus 20 ms per zone).
 */
export async function startBind(zones: ZoneSpec[], options: BindOptions = {}): Promise<BindServer> {
  const binary = namedPath();
  if (binary === undefined) {
    throw new Error(
      "startBind: named not found on PATH or in /usr/sbin; install bind9 (apt-get install -y bind9 bind9-dnsutils)",
    );
  }
  const checkzone = checkzonePath();
  if (checkzone === undefined) {
    throw new Error("startBind: named-checkzone not found; install bind9-utils (a dependency of bind9)");
  }
  if (zones.length === 0) throw new Error("startBind: at least one zone is required");

  const seen = new Set<string>();
  const prepared = zones.map((zone, index) => {
    const origin = normalizeOrigin(zone.origin);
    if (seen.has(origin)) throw new Error(`startBind: zone ${origin} given twice`);
    seen.add(origin);
    return { origin, text: zoneFileText(origin, zone.body), fileName: `zone-${index}-${origin}.db` };
  });

  const dir = await mkdtemp(join(tmpdir(), "sender-auth-bind-"));
  const failures: string[] = [];
  try {
    const files: { origin: string; file: string }[] = [];
    for (const zone of prepared) {
      const file = join(dir, zone.fileName);
      await writeFile(file, zone.text);
      await checkZone(checkzone, zone.origin, file, zone.text);
      files.push({ origin: zone.origin, file });
    }

    const confPath = join(dir, "named.conf");
    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      const port = await freePort("both");
      await writeFile(confPath, namedConf(dir, port, files, options));
      installExitHook();
      const named = spawnNamed(binary, confPath, options.queryLog === true);
      live.set(named.child, dir);
      const outcome = await waitReady(
        named,
        port,
        files.map((f) => f.origin),
      );

      if (outcome === "ready") {
        return await makeServer(named, port, dir, files[0]?.origin ?? "", options.queryLog === true);
      }

      await kill(named);
      live.delete(named.child);
      const spawnError = named.spawnError();
      if (spawnError !== undefined) {
        throw new Error(`startBind: could not run ${binary}: ${spawnError.message}`);
      }
      const log = named.stderr();
      if (outcome === "exited" && isAddressInUse(log) && attempt < PORT_ATTEMPTS) {
        failures.push(`attempt ${attempt}: port ${port} in use`);
        continue;
      }
      const exit = named.exited();
      const why =
        outcome === "timeout"
          ? `did not answer SOA queries for ${files.map((f) => f.origin).join(", ")} within ${STARTUP_TIMEOUT_MS / 1000} s`
          : `exited (code ${String(exit?.code ?? null)}, signal ${String(exit?.signal ?? null)}) during startup`;
      throw new Error(
        `startBind: named on 127.0.0.1:${port} ${why}` +
          (failures.length > 0 ? ` (earlier: ${failures.join("; ")})` : "") +
          `\n--- named stderr ---\n${logTail(log)}`,
      );
    }
    throw new Error(`startBind: named could not bind a free port (${failures.join("; ")})`);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Runs named with a named.conf the caller writes (e.g. the one README.md shows) instead of the
 * harness's: `writeFiles(dir, port)` writes named.conf and its zone files into a fresh temporary
 * directory (removed by stop()) and returns named.conf's path. Resolves once every one of `origins`
 * answers its SOA query; throws with named's log otherwise.
 */
export async function startNamedWith(
  writeFiles: (dir: string, port: number) => string,
  origins: readonly string[],
): Promise<BindServer> {
  const binary = namedPath();
  if (binary === undefined) throw new Error("startNamedWith: named not found on PATH or in /usr/sbin; install bind9");
  const dir = await mkdtemp(join(tmpdir(), "sender-auth-named-"));
  try {
    const port = await freePort("both");
    const confPath = writeFiles(dir, port);
    installExitHook();
    const named = spawnNamed(binary, confPath, false);
    live.set(named.child, dir);
    const outcome = await waitReady(named, port, origins);
    if (outcome === "ready") return await makeServer(named, port, dir, origins[0] ?? "", false);
    await kill(named);
    live.delete(named.child);
    throw new Error(
      `startNamedWith: named on 127.0.0.1:${port}: ${outcome}\n--- named stderr ---\n${logTail(named.stderr())}`,
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

const MARKER_TIMEOUT_MS = 10_000;

async function makeServer(
  named: Named,
  port: number,
  dir: string,
  origin: string,
  queryLog: boolean,
): Promise<BindServer> {
  const resolver = new dnsPromises.Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([`127.0.0.1:${port}`]);
  let markers = 0;
  // Asks a name nobody else asks (NXDOMAIN in a served zone) and waits until named has logged it;
  // returns the index of its log line, so that every line before it is a question named received
  // earlier.
  const flushLog = async (): Promise<number> => {
    const name = `sender-auth-harness-marker-${String(markers++)}.${origin.replace(/\.$/, "")}`.toLowerCase();
    const line = ` query: ${name} IN TXT `;
    await resolver.resolveTxt(name).catch(() => undefined);
    const deadline = Date.now() + MARKER_TIMEOUT_MS;
    for (;;) {
      const index = named.queries().findIndex((l) => l.includes(line));
      if (index >= 0) return index;
      if (Date.now() > deadline || named.exited() !== undefined) {
        throw new Error(
          `startBind: named did not log the marker question ${name} within ${MARKER_TIMEOUT_MS / 1000} s`,
        );
      }
      await sleep(10);
    }
  };
  // The readiness probes (one SOA question per zone, some asked again while named loaded) are not
  // the caller's questions.
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      resolver.cancel();
      try {
        await kill(named);
      } finally {
        live.delete(named.child);
        await rm(dir, { recursive: true, force: true });
      }
    })();
    return stopping;
  };
  let start = 0;
  if (queryLog) {
    try {
      start = (await flushLog()) + 1;
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return {
    host: "127.0.0.1",
    port,
    resolver,
    dir,
    resolve: (name: string, rrtype: string): Promise<unknown> => resolver.resolve(name, rrtype),
    stop,
    queries: async () => {
      if (!queryLog) return [];
      const end = await flushLog();
      return named
        .queries()
        .slice(start, end)
        .filter((l) => !l.includes(" query: sender-auth-harness-marker-"));
    },
  };
}
