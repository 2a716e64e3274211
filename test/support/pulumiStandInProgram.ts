/**
 * The program that stands in for the Pulumi CLI, run as `pulumi` by test/support/bin/pulumi, for
 * tests of the commands that shell out to it (cli/pulumiCli.ts). It implements only `pulumi config`
 * (list, get, set, set-all, rm, rm-all) and `pulumi version`, against stack files on disk, the way
 * the real CLI behaves with a file-backed stack (pulumi/pulumi pkg/cmd/pulumi/config/config.go and
 * sdk/go/common/resource/config/map.go):
 *
 * - The project is the nearest Pulumi.yaml (or Pulumi.yml) from the working directory upward, or
 *   from `-C/--cwd <dir>`; stack files live in its `stackConfigDir` (default: the project
 *   directory). A stack exists iff `Pulumi.<stack>.yaml` (or `.yml`) exists there; `--stack` is
 *   required, since the stand-in keeps no "selected stack". `--stack` is parsed like the diy
 *   backend's stack reference (`<stack>`, `organization/<stack>`, `organization/<project>/<stack>`,
 *   pkg/backend/diy/store.go) and the name checked like tokens.ParseStackName
 *   (sdk/go/common/tokens/stack_name.go), with the real CLI's messages.
 * - Keys are `<namespace>:<name>`, the namespace defaulting to the project name. With `--path` the
 *   name is a property path (`a.b`, `a["x.y"].c`, `list[0]`) whose first segment is the top-level
 *   key; values set at a nested path become booleans for "true"/"false" and numbers for integers
 *   (without a leading zero), strings otherwise. Top-level values are always strings.
 * - `set` without a value reads standard input to its end and removes one trailing "\n", as the
 *   real CLI does when standard input is not a terminal (`cmdutil.RemoveTrailingNewline`, which
 *   also removes a "\r" only on Windows).
 * - Secrets are stored as `{ secure: "v1:<base64 of the UTF-8 value>" }`: a fake, reversible
 *   "encryption" (see fakeEncrypt in ./pulumiStandIn.ts, the helpers tests use) standing in for the
 *   stack's secrets provider.
 * - `get` and the listing also see the project's config defaults (Pulumi.yaml `config:`), as the
 *   real CLI does; `set`/`rm` only ever edit the stack file.
 * - Edits go through the `yaml` Document API, so comments and all other content of the stack file
 *   survive; the file is written only when something changed, and in place, as the real CLI does
 *   (`os.WriteFile` in sdk/go/common/workspace/project.go `save`: truncate, then write, following a
 *   symbolic link): a failed write leaves a truncated file behind.
 * - Errors go to stderr as `error: <message>` with exit code 255.
 *
 * For tests:
 * - FAKE_PULUMI_LOG=<file>: every invocation appends one JSON line `{ argv, stdin, cwd }` (stdin
 *   is everything received on standard input, so a test can check that secrets arrive there and
 *   nowhere else). Commands that take no input still record what is on standard input: up to end
 *   of input, or what arrived before it went quiet for STDIN_IDLE_MS.
 * - FAKE_PULUMI_FAIL=<command>[:<n>], e.g. `config set-all` or `config set:2`: the matching
 *   invocations (the n-th one only, 1-based, when `:n` is given; counted in
 *   `${FAKE_PULUMI_LOG}.count`) write `error: injected failure` and exit 255 without touching
 *   anything. The command must match exactly: `config set` does not match `config set-all`.
 * - FAKE_PULUMI_DISK_FULL=<command>[:<n>]: the disk fills up while the matching invocation writes
 *   the stack file: it truncates the file, writes only the first FAKE_PULUMI_DISK_FREE bytes (default:
 *   half of the new text) and fails like `os.WriteFile`: `error: write <file>: no space left on
 *   device`, exit code 255. Counted in `${FAKE_PULUMI_LOG}.disk-full.count`.
 * - FAKE_PULUMI_HOLD=<command>[:<n>] with FAKE_PULUMI_HOLD_FILE=<path>: a slow write. The matching
 *   invocation, having read and changed the stack file but before writing it, writes its pid to
 *   `<path>.held` and waits until `<path>` exists (at most 120 s), so a test can interleave two
 *   writers or signal the caller between two writes without any timing; once it has written the
 *   file it creates `<path>.written`. Counted in `${FAKE_PULUMI_LOG}.hold.count`.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  appendFileSync,
} from "node:fs";
import * as path from "node:path";
import { Document, isMap, isScalar, isSeq, Pair, parse as parseYaml, parseDocument, YAMLMap, YAMLSeq } from "yaml";
import { fakeDecrypt, fakeEncrypt } from "./pulumiStandIn";
import { isRecord } from "../../components/model";

/** How long a command that reads no input waits for more input on an open, quiet stdin before logging it. */
const STDIN_IDLE_MS = 100;

/** A failure reported like the real CLI: `error: <message>` on stderr, exit code 255. */
class CliError extends Error {}

// ---------------------------------------------------------------------------------------------
// Command line

type FlagKind = "bool" | "string" | "array";

interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly kind: FlagKind;
}

/** Flags every command accepts; the ones the stand-in ignores are accepted and dropped. */
const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: "non-interactive", kind: "bool" },
  { name: "color", kind: "string" },
  { name: "emoji", kind: "bool" },
  { name: "cwd", short: "C", kind: "string" },
];

/** `pulumi config`'s persistent flags. */
const CONFIG_FLAGS: readonly FlagSpec[] = [{ name: "stack", short: "s", kind: "string" }];

const PATH_FLAG: FlagSpec = { name: "path", kind: "bool" };
const JSON_FLAG: FlagSpec = { name: "json", short: "j", kind: "bool" };

const COMMANDS: Readonly<Record<string, readonly FlagSpec[]>> = {
  version: [],
  config: [...CONFIG_FLAGS, JSON_FLAG, { name: "show-secrets", kind: "bool" }],
  "config get": [...CONFIG_FLAGS, PATH_FLAG, JSON_FLAG],
  "config set": [...CONFIG_FLAGS, PATH_FLAG, { name: "secret", kind: "bool" }, { name: "plaintext", kind: "bool" }],
  "config set-all": [
    ...CONFIG_FLAGS,
    PATH_FLAG,
    { name: "secret", kind: "array" },
    { name: "plaintext", kind: "array" },
  ],
  "config rm": [...CONFIG_FLAGS, PATH_FLAG],
  "config rm-all": [...CONFIG_FLAGS, PATH_FLAG],
};

const CONFIG_SUBCOMMANDS = new Set(["get", "set", "set-all", "rm", "rm-all"]);

interface Invocation {
  /** "config", "config set", ...: the key of COMMANDS. */
  readonly command: string;
  readonly positionals: readonly string[];
  readonly bools: ReadonlySet<string>;
  readonly strings: ReadonlyMap<string, string>;
  readonly arrays: ReadonlyMap<string, readonly string[]>;
}

/** Value-taking flags that may come before the command words (`pulumi --color never config get`). */
const LEADING_VALUE_FLAGS = new Set(["--color", "--cwd", "-C", "--stack", "-s"]);

function parseInvocation(argv: readonly string[]): Invocation {
  // Find the command words among the arguments, the way cobra does: skipping flags (and the
  // values of the few flags that take one and may come first).
  const words: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") break;
    if (arg.startsWith("-") && arg !== "-") {
      if (LEADING_VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    if (words.length === 0) {
      if (arg !== "config" && arg !== "version") throw new CliError(`unknown command "${arg}" for "pulumi"`);
      words.push(i);
      if (arg === "version") break;
    } else {
      if (CONFIG_SUBCOMMANDS.has(arg)) words.push(i);
      break;
    }
  }
  if (words.length === 0) {
    throw new CliError('unknown command: "pulumi" needs a command; the stand-in knows "config" and "version"');
  }
  const command = words.map((i) => argv[i]).join(" ");
  const specs = [...GLOBAL_FLAGS, ...(COMMANDS[command] ?? [])];
  const rest = argv.filter((_, i) => !words.includes(i));

  const positionals: string[] = [];
  const bools = new Set<string>();
  const strings = new Map<string, string>();
  const arrays = new Map<string, string[]>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? "";
    if (arg === "--") {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const body = long ? arg.slice(2) : arg.slice(1);
    const eq = body.indexOf("=");
    let name = eq === -1 ? body : body.slice(0, eq);
    let inline: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
    if (!long && inline === undefined && name.length > 1) {
      // -sdemo
      inline = name.slice(1);
      name = name.slice(0, 1);
    }
    const spec = specs.find((s) => (long ? s.name === name : s.short === name));
    if (!spec) throw new CliError(long ? `unknown flag: --${name}` : `unknown shorthand flag: '${name}' in ${arg}`);
    if (spec.kind === "bool") {
      if (inline === undefined || inline === "true") bools.add(spec.name);
      else if (inline === "false") bools.delete(spec.name);
      else {
        throw new CliError(
          `invalid argument "${inline}" for "${arg}" flag: strconv.ParseBool: parsing "${inline}": invalid syntax`,
        );
      }
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = rest[i + 1];
      if (value === undefined) throw new CliError(`flag needs an argument: ${arg}`);
      i++;
    }
    if (spec.kind === "string") strings.set(spec.name, value);
    else arrays.set(spec.name, [...(arrays.get(spec.name) ?? []), value]);
  }
  return { command, positionals, bools, strings, arrays };
}

// ---------------------------------------------------------------------------------------------
// Standard input, log and failure injection

/**
 * Standard input as UTF-8. `toEnd`: read until end of input (what `config set` without a value
 * does). Otherwise also stop once the input has been quiet for STDIN_IDLE_MS, so a caller that
 * leaves standard input open does not hang a command that reads none. A terminal is not read.
 */
function readStdin(toEnd: boolean): Promise<{ readonly text: string; readonly terminal: boolean }> {
  const stdin = process.stdin;
  if (stdin.isTTY) return Promise.resolve({ text: "", terminal: true });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stdin.removeAllListeners("data");
      stdin.destroy();
      resolve({ text: Buffer.concat(chunks).toString("utf8"), terminal: false });
    };
    const arm = (): void => {
      if (toEnd) return;
      clearTimeout(timer);
      timer = setTimeout(finish, STDIN_IDLE_MS);
    };
    stdin.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      arm();
    });
    stdin.once("end", finish);
    stdin.once("error", finish);
    arm();
  });
}

function appendLog(argv: readonly string[], stdin: string): void {
  const log = process.env["FAKE_PULUMI_LOG"];
  if (!log) return;
  appendFileSync(log, JSON.stringify({ argv, stdin, cwd: process.cwd() }) + "\n");
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Increments the number in `file` under an exclusive lock file (invocations may run concurrently). */
function incrementCounter(file: string): number {
  const lock = `${file}.lock`;
  let deadline = Date.now() + 5_000;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (Date.now() > deadline) {
        // Left behind by a killed invocation.
        rmSync(lock, { force: true });
        deadline = Date.now() + 5_000;
      } else {
        sleepSync(5);
      }
    }
  }
  try {
    const previous = existsSync(file) ? Number.parseInt(readFileSync(file, "utf8"), 10) : 0;
    const count = (Number.isFinite(previous) ? previous : 0) + 1;
    writeFileSync(file, `${count}\n`);
    return count;
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Whether the injection in environment variable `variable` (`<command>[:<n>]`) applies to this
 * invocation; the n-th matching invocation is counted in `${FAKE_PULUMI_LOG}<counterSuffix>`.
 */
function injected(variable: string, counterSuffix: string, command: string): boolean {
  const spec = process.env[variable]?.trim();
  if (!spec) return false;
  const match = /^(.+?)(?::(\d+))?$/.exec(spec);
  const wanted = match?.[1]?.trim().split(/\s+/).join(" ");
  const nth = match?.[2] === undefined ? undefined : Number(match[2]);
  if (wanted === undefined || nth === 0) {
    throw new Error(`fake pulumi: ${variable}=${spec}: expected "<command>" or "<command>:<n>" with n >= 1`);
  }
  if (wanted !== command) return false;
  if (nth === undefined) return true;
  const log = process.env["FAKE_PULUMI_LOG"];
  if (!log) {
    throw new Error(
      `fake pulumi: ${variable}=${spec} counts invocations in \${FAKE_PULUMI_LOG}${counterSuffix}, but FAKE_PULUMI_LOG is not set`,
    );
  }
  return incrementCounter(`${log}${counterSuffix}`) === nth;
}

/** Whether FAKE_PULUMI_FAIL asks this invocation to fail. */
function injectedFailure(command: string): boolean {
  return injected("FAKE_PULUMI_FAIL", ".count", command);
}

/** How long a held write waits for its release file before giving up. */
const HOLD_LIMIT_MS = 120_000;

/**
 * FAKE_PULUMI_HOLD: announces the hold in `<file>.held` (this pid) and waits until `<file>` exists;
 * returns the file to create once the write is done, or undefined when nothing is held.
 */
function holdIfAsked(command: string): string | undefined {
  if (!injected("FAKE_PULUMI_HOLD", ".hold.count", command)) return undefined;
  const gate = process.env["FAKE_PULUMI_HOLD_FILE"];
  if (!gate) throw new Error("fake pulumi: FAKE_PULUMI_HOLD needs FAKE_PULUMI_HOLD_FILE=<path>");
  writeFileSync(`${gate}.held`, `${process.pid}\n`);
  const deadline = Date.now() + HOLD_LIMIT_MS;
  while (!existsSync(gate)) {
    if (Date.now() > deadline) throw new CliError(`fake pulumi: ${gate} did not appear within ${HOLD_LIMIT_MS} ms`);
    sleepSync(10);
  }
  return `${gate}.written`;
}

/** FAKE_PULUMI_DISK_FULL: how many bytes of the write fit on the disk, or undefined when all do. */
function diskSpaceFor(command: string, length: number): number | undefined {
  if (!injected("FAKE_PULUMI_DISK_FULL", ".disk-full.count", command)) return undefined;
  const free = process.env["FAKE_PULUMI_DISK_FREE"];
  const bytes = free === undefined ? Math.floor(length / 2) : Number(free);
  if (!Number.isInteger(bytes) || bytes < 0) {
    throw new Error(`fake pulumi: FAKE_PULUMI_DISK_FREE=${free ?? ""}: expected a number of bytes`);
  }
  return bytes < length ? bytes : undefined;
}

// ---------------------------------------------------------------------------------------------
// Project and stack

interface Project {
  readonly name: string;
  /** Absolute. */
  readonly stackConfigDir: string;
  /** Project-level config values and defaults (Pulumi.yaml `config:`), by full key. */
  readonly defaults: ReadonlyMap<string, unknown>;
}

const PROJECT_CONFIG_TYPE_KEYS = new Set(["type", "description", "items", "default", "value", "secret"]);

function findProject(start: string): Project {
  for (let dir = start; ; dir = path.dirname(dir)) {
    for (const file of ["Pulumi.yaml", "Pulumi.yml"]) {
      const projectFile = path.join(dir, file);
      if (existsSync(projectFile)) return loadProject(projectFile);
    }
    if (path.dirname(dir) === dir) {
      throw new CliError(
        `no Pulumi.yaml project file found (searching upwards from ${start}). If you have not created a project yet, use \`pulumi new\` to do so: no project file found`,
      );
    }
  }
}

function loadProject(file: string): Project {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CliError(`could not read ${file}: ${(error as Error).message}`);
  }
  if (!isRecord(doc) || typeof doc["name"] !== "string" || doc["name"] === "") {
    throw new CliError(`${file}: project is missing a 'name' attribute`);
  }
  const name = doc["name"];
  const stackConfigDir = typeof doc["stackConfigDir"] === "string" ? doc["stackConfigDir"] : ".";
  const defaults = new Map<string, unknown>();
  const config = doc["config"];
  if (isRecord(config)) {
    for (const [key, entry] of Object.entries(config)) {
      const fullKey = key.includes(":") ? key : `${name}:${key}`;
      if (isRecord(entry) && Object.keys(entry).every((k) => PROJECT_CONFIG_TYPE_KEYS.has(k))) {
        // A typed declaration: only its default (or value) is a value.
        if ("value" in entry) defaults.set(fullKey, entry["value"]);
        else if ("default" in entry) defaults.set(fullKey, entry["default"]);
      } else {
        defaults.set(fullKey, entry);
      }
    }
  }
  return { name, stackConfigDir: path.resolve(path.dirname(file), stackConfigDir), defaults };
}

function requireStackName(invocation: Invocation): string {
  const stack = invocation.strings.get("stack");
  if (stack === undefined || stack === "") {
    throw new CliError("no stack selected; please use `pulumi stack select` to choose one");
  }
  return stack;
}

const STACK_NAME = /^[A-Za-z0-9_.-]*/;

/**
 * The stack name in a stack reference, as the diy backend parses one (pkg/backend/diy/store.go
 * ParseReference): `<stack>`, `organization/<stack>` or `organization/<project>/<stack>`; more
 * parts leave the name empty. The name is checked like tokens.ParseStackName.
 */
function stackNameOf(reference: string, project: Project): string {
  const split = reference.split("/");
  const [first = "", second = "", third = ""] = split;
  const org = split.length === 2 || split.length === 3 ? first : "organization";
  const name = split.length === 1 ? first : split.length === 2 ? second : split.length === 3 ? third : "";
  if (org !== "organization") throw new CliError("organization name must be 'organization'");
  if (split.length === 3 && second !== project.name) throw new CliError(`no stack named '${reference}' found`);
  if (name === "") throw new CliError("a stack name may not be empty");
  if (Buffer.byteLength(name) > 100) throw new CliError("a stack name cannot exceed 100 characters");
  const valid = STACK_NAME.exec(name)?.[0].length ?? 0;
  if (valid !== name.length) {
    // Go's %q of the byte: a quoted character literal.
    const char = name[valid] ?? "";
    const quoted = JSON.stringify(char).slice(1, -1).replace(/'/g, "\\'");
    throw new CliError(
      `a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character '${quoted}' at position ${valid}`,
    );
  }
  return name;
}

/** The stack's file; fails like the real CLI when the stack does not exist. */
function stackFile(project: Project, stack: string): string {
  const name = stackNameOf(stack, project);
  for (const ext of [".yaml", ".yml"]) {
    const file = path.join(project.stackConfigDir, `Pulumi.${name}${ext}`);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  throw new CliError(`no stack named '${stack}' found`);
}

// ---------------------------------------------------------------------------------------------
// Keys and property paths

type Segment = string | number;

interface ConfigKey {
  /** `<namespace>:<first segment>`: the key in the stack file's `config:` map. */
  readonly top: string;
  /** The path below the top-level key (empty without --path). */
  readonly rest: readonly Segment[];
  /** As the real CLI prints it in messages: without the namespace when it is the project's. */
  readonly pretty: string;
}

/**
 * resource.ParsePropertyPath: `a.b`, `a[0]`, `a["x.y"]` (with `\"` for a quote inside the
 * brackets); a leading `.` is an error.
 */
function parsePropertyPath(text: string): Segment[] {
  if (text.startsWith(".")) {
    throw new CliError(
      `invalid configuration key: invalid config key path: expected property path to start with a name or index`,
    );
  }
  const segments: Segment[] = [];
  let rest = text;
  while (rest.length > 0) {
    if (rest.startsWith(".")) {
      rest = rest.slice(1);
    } else if (rest.startsWith('["')) {
      let key = "";
      let i = 2;
      for (;;) {
        if (i >= rest.length) {
          throw new CliError(
            "invalid configuration key: invalid config key path: missing closing quote in property name",
          );
        }
        const char = rest[i];
        if (char === '"') {
          i++;
          break;
        }
        if (char === "\\" && rest[i + 1] === '"') {
          key += '"';
          i += 2;
        } else {
          key += char ?? "";
          i++;
        }
      }
      if (rest[i] !== "]") {
        throw new CliError(
          "invalid configuration key: invalid config key path: missing closing bracket in property access",
        );
      }
      segments.push(key);
      rest = rest.slice(i + 1);
    } else if (rest.startsWith("[")) {
      const close = rest.indexOf("]");
      if (close === -1) {
        throw new CliError(
          "invalid configuration key: invalid config key path: missing closing bracket in array index",
        );
      }
      const index = rest.slice(1, close);
      if (!/^[+-]?\d+$/.test(index)) {
        throw new CliError(`invalid configuration key: invalid config key path: invalid array index: ${index}`);
      }
      segments.push(Number(index));
      rest = rest.slice(close + 1);
    } else {
      const end = rest.search(/[.[]/);
      segments.push(end === -1 ? rest : rest.slice(0, end));
      rest = end === -1 ? "" : rest.slice(end);
    }
  }
  return segments;
}

function parseConfigKey(raw: string, project: Project, usePath: boolean): ConfigKey {
  // The namespace ends at the first ':'; with --path only if what precedes it is no property path
  // (so `dkim.keys["a:b"]` is a path in the project's namespace).
  const colon = raw.indexOf(":");
  const hasNamespace = colon !== -1 && !(usePath && /[.[\]"]/.test(raw.slice(0, colon)));
  const namespace = hasNamespace ? raw.slice(0, colon) : project.name;
  let name = hasNamespace ? raw.slice(colon + 1) : raw;
  if (name.startsWith("config:")) name = name.slice("config:".length); // the old `<ns>:config:<name>` form
  if (namespace === "" || name === "") {
    throw new CliError(
      `invalid configuration key: could not parse ${raw} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`,
    );
  }
  const pretty = namespace === project.name ? name : `${namespace}:${name}`;
  if (!usePath) return { top: `${namespace}:${name}`, rest: [], pretty };
  const segments = parsePropertyPath(name);
  const [first, ...rest] = segments;
  if (typeof first !== "string") {
    throw new CliError(
      "invalid configuration key: invalid config key path: first path segement of config key must be a string",
    );
  }
  if (first === "") throw new CliError("invalid configuration key: invalid config key path: config key is empty");
  return { top: `${namespace}:${first}`, rest, pretty };
}

/** adjustObjectValue: what a plaintext value set at a nested path becomes. */
function coerce(value: string): string | number | boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  if (value.length > 1 && value.startsWith("0")) return value;
  // strconv.Atoi; beyond JavaScript's exact integers, keep the text rather than round it.
  if (/^[+-]?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Config values as JavaScript (for get and the listing)

interface Secure {
  readonly secure: string;
}

function isSecure(value: unknown): value is Secure {
  return isRecord(value) && Object.keys(value).length === 1 && typeof value["secure"] === "string";
}

function containsSecure(value: unknown): boolean {
  if (isSecure(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecure);
  if (isRecord(value)) return Object.values(value).some(containsSecure);
  return false;
}

function decrypt(ciphertext: string): string {
  const plaintext = fakeDecrypt(ciphertext);
  if (plaintext === undefined) {
    throw new CliError(
      "could not decrypt configuration value: not a ciphertext of the fake pulumi (expected v1:<base64>)",
    );
  }
  return plaintext;
}

/** Secure values replaced by their plaintext, or by "[secret]" when `blind`; map keys sorted like Go's encoding/json. */
function reveal(value: unknown, blind: boolean): unknown {
  if (isSecure(value)) return blind ? "[secret]" : decrypt(value.secure);
  if (Array.isArray(value)) return value.map((item) => reveal(item, blind));
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, reveal(value[key], blind)]),
    );
  }
  return value;
}

/** The text the real CLI prints for a value: objects and lists as JSON. */
function valueText(value: unknown, blind: boolean): string {
  const revealed = reveal(value, blind);
  if (typeof revealed === "string") return revealed;
  if (typeof revealed === "number" || typeof revealed === "boolean" || typeof revealed === "bigint") {
    return String(revealed);
  }
  if (revealed === null || revealed === undefined) return "";
  return JSON.stringify(revealed);
}

function isObjectValue(value: unknown): boolean {
  return typeof value === "object" && value !== null && !isSecure(value);
}

// ---------------------------------------------------------------------------------------------
// The stack file

class StackFile {
  private changed = false;

  private constructor(
    readonly file: string,
    readonly doc: Document,
  ) {}

  static load(file: string): StackFile {
    const doc = parseDocument(readFileSync(file, "utf8"));
    const [problem] = doc.errors;
    if (problem) throw new CliError(`could not read stack file ${file}: ${problem.message}`);
    if (doc.contents !== null && !isMap(doc.contents)) {
      throw new CliError(`could not read stack file ${file}: not a mapping`);
    }
    return new StackFile(file, doc);
  }

  /** The `config:` map; created (at the end of the file) when `create`. */
  private configMap(create: boolean): YAMLMap | undefined {
    const contents = this.doc.contents;
    let root: YAMLMap;
    if (isMap(contents)) {
      root = contents;
    } else {
      if (!create) return undefined;
      root = new YAMLMap();
      this.doc.contents = root;
    }
    const existing = mapGet(root, "config");
    if (isMap(existing)) return existing;
    if (existing !== undefined && !isNull(existing)) {
      throw new CliError(`could not read stack file ${this.file}: config is not a mapping`);
    }
    if (!create) return undefined;
    const config = new YAMLMap();
    mapSet(this.doc, root, "config", config);
    return config;
  }

  /** Top-level config keys and their values, in file order. */
  entries(): [string, unknown][] {
    const config = this.configMap(false);
    if (!config) return [];
    return config.items.flatMap((pair) => {
      const key = scalarKey(pair.key);
      if (key === undefined) return [];
      return [[key, isNode(pair.value) ? pair.value.toJS(this.doc) : pair.value] as [string, unknown]];
    });
  }

  set(key: ConfigKey, value: unknown): void {
    const config = this.configMap(true);
    if (!config) throw new Error("unreachable: configMap(true) creates the map");
    let container: YAMLMap | YAMLSeq = config;
    const segments: Segment[] = [key.top, ...key.rest];
    for (let i = 0; i < segments.length - 1; i++) {
      const segment = segments[i] ?? "";
      const child = childOf(container, segment, key.pretty);
      if (child === undefined || isNull(child)) {
        const created = typeof segments[i + 1] === "number" ? new YAMLSeq() : new YAMLMap();
        setChild(this.doc, container, segment, created, key.pretty);
        container = created;
      } else if ((isMap(child) && !isSecure(child.toJS(this.doc))) || isSeq(child)) {
        container = child;
      } else {
        throw new CliError(`could not set config: '${key.pretty}': ${describeSegment(segment)} is not a map or a list`);
      }
    }
    const last = segments[segments.length - 1] ?? "";
    setChild(this.doc, container, last, value, key.pretty);
    this.changed = true;
  }

  remove(key: ConfigKey): void {
    const config = this.configMap(false);
    if (!config) return;
    let container: YAMLMap | YAMLSeq = config;
    const segments: Segment[] = [key.top, ...key.rest];
    for (const segment of segments.slice(0, -1)) {
      const child =
        isMap(container) && typeof segment === "string"
          ? mapGet(container, segment)
          : isSeq(container) && typeof segment === "number"
            ? container.items[segment]
            : undefined;
      if (!isMap(child) && !isSeq(child)) return;
      container = child;
    }
    const last = segments[segments.length - 1] ?? "";
    if (isMap(container) && typeof last === "string") {
      const index = container.items.findIndex((pair) => scalarKey(pair.key) === last);
      if (index === -1) return;
      container.items.splice(index, 1);
    } else if (isSeq(container) && typeof last === "number") {
      if (last < 0 || last >= container.items.length) return;
      container.items.splice(last, 1);
    } else {
      return;
    }
    this.changed = true;
  }

  /** Writes the file if anything changed, in place like `os.WriteFile`; `command` selects injected faults. */
  save(command: string): void {
    if (!this.changed) return;
    const text = Buffer.from(this.doc.toString({ lineWidth: 0, flowCollectionPadding: false }), "utf8");
    const written = holdIfAsked(command);
    const free = diskSpaceFor(command, text.length);
    if (free !== undefined) {
      // What a full disk leaves: the file truncated, then as much written as fitted.
      writeFileSync(this.file, text.subarray(0, free));
      throw new CliError(`write ${this.file}: no space left on device`);
    }
    // A real failure reads like Go's *PathError: "open <file>: permission denied", "write <file>: no space left on device".
    let fd: number;
    try {
      fd = openSync(this.file, "w", 0o644);
    } catch (error) {
      throw new CliError(`open ${this.file}: ${goErrorText(error)}`);
    }
    try {
      writeFileSync(fd, text);
    } catch (error) {
      throw new CliError(`write ${this.file}: ${goErrorText(error)}`);
    } finally {
      closeSync(fd);
    }
    if (written !== undefined) writeFileSync(written, "");
  }
}

/** The text Go's syscall.Errno gives for the errors a write meets. */
const GO_ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EROFS: "read-only file system",
  EISDIR: "is a directory",
  ENOENT: "no such file or directory",
};

function goErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  return GO_ERRNO_TEXT[code] ?? (error instanceof Error ? error.message : String(error));
}

interface YamlNodeLike {
  toJS(doc: Document): unknown;
}

function isNode(value: unknown): value is YamlNodeLike & object {
  return isScalar(value) || isMap(value) || isSeq(value);
}

function isNull(node: unknown): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

function scalarKey(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === "string" || typeof key === "number" || typeof key === "boolean") return String(key);
  return undefined;
}

function mapGet(map: YAMLMap, key: string): unknown {
  return map.items.find((item) => scalarKey(item.key) === key)?.value ?? undefined;
}

/** Sets `key` in `map`; a scalar replacing a scalar keeps the node, and so its comments. */
function mapSet(doc: Document, map: YAMLMap, key: string, value: unknown): void {
  const pair = map.items.find((item) => scalarKey(item.key) === key);
  if (!pair) map.items.push(new Pair(doc.createNode(key), toNode(doc, value)));
  else if (isScalar(pair.value) && isPlainScalar(value)) pair.value.value = value;
  else pair.value = toNode(doc, value);
}

function isPlainScalar(value: unknown): boolean {
  return value === null || (typeof value !== "object" && typeof value !== "function");
}

function toNode(doc: Document, value: unknown): unknown {
  return isNode(value) ? value : doc.createNode(value);
}

function describeSegment(segment: Segment): string {
  return typeof segment === "number" ? `[${segment}]` : `'${segment}'`;
}

function childOf(container: YAMLMap | YAMLSeq, segment: Segment, pretty: string): unknown {
  if (isMap(container)) {
    if (typeof segment !== "string") {
      throw new CliError(`could not set config: '${pretty}': index ${describeSegment(segment)} used on a map`);
    }
    return mapGet(container, segment);
  }
  if (typeof segment !== "number") {
    throw new CliError(`could not set config: '${pretty}': key ${describeSegment(segment)} used on a list`);
  }
  return container.items[segment];
}

function setChild(doc: Document, container: YAMLMap | YAMLSeq, segment: Segment, value: unknown, pretty: string): void {
  if (isMap(container)) {
    if (typeof segment !== "string") {
      throw new CliError(`could not set config: '${pretty}': index ${describeSegment(segment)} used on a map`);
    }
    mapSet(doc, container, segment, value);
    return;
  }
  if (typeof segment !== "number") {
    throw new CliError(`could not set config: '${pretty}': key ${describeSegment(segment)} used on a list`);
  }
  // Index len appends; anything further is out of range (config/object.go).
  if (segment < 0 || segment > container.items.length) {
    throw new CliError(`could not set config: '${pretty}': array index out of range`);
  }
  const existing = container.items[segment];
  if (segment === container.items.length) container.items.push(toNode(doc, value));
  else if (isScalar(existing) && isPlainScalar(value)) existing.value = value;
  else container.items[segment] = toNode(doc, value);
}

// ---------------------------------------------------------------------------------------------
// Commands

interface Context {
  readonly invocation: Invocation;
  readonly project: Project;
  readonly stack: string;
  readonly file: string;
  readonly stdin: { readonly text: string; readonly terminal: boolean };
  readonly out: (text: string) => void;
}

/** The stack's config with the project's defaults for keys it does not set, sorted like the real CLI. */
function mergedConfig(ctx: Context): Map<string, unknown> {
  const merged = new Map<string, unknown>(ctx.project.defaults);
  for (const [key, value] of StackFile.load(ctx.file).entries()) merged.set(key, value);
  const namespaceAndName = (key: string): [string, string] => {
    const colon = key.indexOf(":");
    return [key.slice(0, colon), key.slice(colon + 1)];
  };
  return new Map(
    [...merged].sort(([a], [b]) => {
      const [nsA, nameA] = namespaceAndName(a);
      const [nsB, nameB] = namespaceAndName(b);
      return nsA === nsB ? compare(nameA, nameB) : compare(nsA, nsB);
    }),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function prettyTopKey(project: Project, key: string): string {
  return key.startsWith(`${project.name}:`) ? key.slice(project.name.length + 1) : key;
}

function expectArgs(ctx: Context, min: number, max: number, usage: string): void {
  const count = ctx.invocation.positionals.length;
  if (count < min || count > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new CliError(`accepts ${expected} arg(s), received ${count}: usage: pulumi ${usage}`);
  }
}

function lookup(ctx: Context, key: ConfigKey): { found: boolean; value: unknown } {
  const merged = mergedConfig(ctx);
  if (!merged.has(key.top)) return { found: false, value: undefined };
  let value = merged.get(key.top);
  for (const segment of key.rest) {
    if (Array.isArray(value) && typeof segment === "number" && segment >= 0 && segment < value.length) {
      value = value[segment] as unknown;
    } else if (isRecord(value) && !isSecure(value) && typeof segment === "string" && Object.hasOwn(value, segment)) {
      value = value[segment];
    } else return { found: false, value: undefined };
  }
  return { found: true, value };
}

function configGet(ctx: Context): void {
  expectArgs(ctx, 1, 1, "config get <key>");
  const usePath = ctx.invocation.bools.has("path");
  const key = parseConfigKey(ctx.invocation.positionals[0] ?? "", ctx.project, usePath);
  const { found, value } = lookup(ctx, key);
  if (!found) throw new CliError(`configuration key '${key.pretty}' not found for stack '${ctx.stack}'`);
  if (ctx.invocation.bools.has("json")) {
    const entry: Record<string, unknown> = { value: valueText(value, false) };
    if (isObjectValue(value)) entry["objectValue"] = reveal(value, false);
    entry["secret"] = containsSecure(value);
    ctx.out(JSON.stringify(entry, null, 2) + "\n");
  } else {
    ctx.out(valueText(value, false) + "\n");
  }
}

function configList(ctx: Context): void {
  if (ctx.invocation.positionals.length > 0) {
    throw new CliError(`unknown command "${ctx.invocation.positionals[0] ?? ""}" for "pulumi config"`);
  }
  const showSecrets = ctx.invocation.bools.has("show-secrets");
  const merged = mergedConfig(ctx);
  if (ctx.invocation.bools.has("json")) {
    // As listConfig: a secret's value (and objectValue) is left out unless --show-secrets.
    const out: Record<string, unknown> = {};
    for (const [key, value] of [...merged].sort(([a], [b]) => compare(a, b))) {
      const secret = containsSecure(value);
      const entry: Record<string, unknown> = {};
      if (!secret || showSecrets) {
        entry["value"] = valueText(value, false);
        if (isObjectValue(value)) entry["objectValue"] = reveal(value, false);
      }
      entry["secret"] = secret;
      out[key] = entry;
    }
    ctx.out(JSON.stringify(out, null, 2) + "\n");
    return;
  }
  const rows = [
    ["KEY", "VALUE"],
    ...[...merged].map(([key, value]) => [prettyTopKey(ctx.project, key), valueText(value, !showSecrets)]),
  ];
  const width = Math.max(...rows.map(([key]) => (key ?? "").length)) + 2;
  ctx.out(rows.map(([key, value]) => `${(key ?? "").padEnd(width)}${value ?? ""}\n`).join(""));
}

function configSet(ctx: Context): void {
  expectArgs(ctx, 1, 2, "config set <key> [value]");
  const { bools, positionals } = ctx.invocation;
  if (bools.has("secret") && bools.has("plaintext")) {
    throw new CliError(
      "if any flags in the group [secret plaintext type] are set none of the others can be; [plaintext secret] were all set",
    );
  }
  const usePath = bools.has("path");
  const key = parseConfigKey(positionals[0] ?? "", ctx.project, usePath);
  let value = positionals[1];
  if (value === undefined) {
    if (ctx.stdin.terminal) throw new CliError("config value must be specified in non-interactive mode");
    // cmdutil.RemoveTrailingNewline: one "\n" (and, on Windows only, a "\r" before it).
    value = ctx.stdin.text.endsWith("\n") ? ctx.stdin.text.slice(0, -1) : ctx.stdin.text;
  }
  const file = StackFile.load(ctx.file);
  file.set(key, storedValue(key, value, bools.has("secret")));
  file.save(ctx.invocation.command);
}

function storedValue(key: ConfigKey, value: string, secret: boolean): unknown {
  if (secret) return { secure: fakeEncrypt(value) };
  return key.rest.length > 0 ? coerce(value) : value;
}

function splitPair(pair: string): [string, string] {
  const eq = pair.indexOf("=");
  if (eq === -1) throw new CliError("config value must be in the form [key]=[value]");
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}

function configSetAll(ctx: Context): void {
  expectArgs(ctx, 0, 0, "config set-all --plaintext key1=value1 --secret key2=value2 ...");
  const { arrays, bools } = ctx.invocation;
  const usePath = bools.has("path");
  const file = StackFile.load(ctx.file);
  // Like the real CLI: plaintext pairs first, then secrets, saved once (so all or nothing).
  for (const [flag, secret] of [
    ["plaintext", false],
    ["secret", true],
  ] as const) {
    for (const pair of arrays.get(flag) ?? []) {
      const [rawKey, value] = splitPair(pair);
      const key = parseConfigKey(rawKey, ctx.project, usePath);
      file.set(key, storedValue(key, value, secret));
    }
  }
  file.save(ctx.invocation.command);
}

function configRm(ctx: Context, all: boolean): void {
  if (all) expectArgs(ctx, 1, Infinity, "config rm-all <key1> <key2> ...");
  else expectArgs(ctx, 1, 1, "config rm <key>");
  const usePath = ctx.invocation.bools.has("path");
  const keys = ctx.invocation.positionals.map((raw) => parseConfigKey(raw, ctx.project, usePath));
  const file = StackFile.load(ctx.file);
  for (const key of keys) file.remove(key);
  file.save(ctx.invocation.command);
}

function run(invocation: Invocation, stdin: Context["stdin"]): void {
  const out = (text: string): void => {
    process.stdout.write(text);
  };
  if (invocation.command === "version") {
    out("v3.0.0-fake\n");
    return;
  }
  const cwdFlag = invocation.strings.get("cwd");
  const project = findProject(cwdFlag === undefined ? process.cwd() : path.resolve(cwdFlag));
  const stack = requireStackName(invocation);
  const ctx: Context = { invocation, project, stack, file: stackFile(project, stack), stdin, out };
  switch (invocation.command) {
    case "config":
      configList(ctx);
      return;
    case "config get":
      configGet(ctx);
      return;
    case "config set":
      configSet(ctx);
      return;
    case "config set-all":
      configSetAll(ctx);
      return;
    case "config rm":
      configRm(ctx, false);
      return;
    case "config rm-all":
      configRm(ctx, true);
      return;
    default:
      throw new CliError(`unknown command "${invocation.command}"`);
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let invocation: Invocation | CliError;
  try {
    invocation = parseInvocation(argv);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    invocation = error;
  }
  const wantsValue =
    !(invocation instanceof CliError) && invocation.command === "config set" && invocation.positionals.length === 1;
  const stdin = await readStdin(wantsValue);
  appendLog(argv, stdin.text);
  try {
    if (invocation instanceof CliError) throw invocation;
    if (injectedFailure(invocation.command)) throw new CliError("injected failure");
    run(invocation, stdin);
    return 0;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return 255;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`fake pulumi: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
