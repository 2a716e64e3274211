/**
 * Reads the Pulumi project and its stack files the way the Pulumi CLI hands them to the program:
 * `stackConfigDir` from Pulumi.yaml, project-level config defaults, then the stack's own values, every
 * value a string (structured values as JSON), secret values marked. Nothing is ever decrypted: a
 * `secure:` value becomes a placeholder and its key is listed as secret.
 */
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseDocument, type Document } from "yaml";
import { ConfigError, reportable, type Problem } from "../components/config";
import { isRecord } from "../components/model";
import { pathBelow } from "../components/keyPath";
import { ProjectError, UsageError } from "./errors";
import { printable } from "./render/printable";
import { entryAt, fsError, readYamlFile } from "./safeFs";
import { configKeyOf, duplicateKeyProblems, nonFiniteNumberProblems, plaintextPrivateKeyProblems } from "./stackFile";

export { ProjectError, UsageError } from "./errors";

/** Stands in for a value Pulumi would decrypt; `plan` never decrypts anything. */
export const UNDECRYPTED_SECRET = "[secret]";

/**
 * A stack file that reads, but holds what the Pulumi CLI would read differently or refuse (see
 * stackFile.ts). Carries the config read anyway, so `plan` can report the program's problems too.
 */
export class StackFileError extends ProjectError {
  constructor(
    readonly stackConfig: StackConfig,
    readonly problems: readonly Problem[],
  ) {
    super(new ConfigError(stackConfig.stack, problems).message);
  }
}

export interface Project {
  readonly dir: string;
  readonly name: string;
  /** Absolute path of the program's entry module. */
  readonly main: string;
  readonly stackConfigDir: string;
  /** Project-level config values and schema defaults, keyed `<namespace>:<key>`. */
  readonly defaults: Readonly<Record<string, unknown>>;
}

export interface StackConfig {
  readonly stack: string;
  readonly file: string;
  /** Every config value as Pulumi passes it to the program (PULUMI_CONFIG). */
  readonly config: Readonly<Record<string, string>>;
  /** Keys holding secret values (PULUMI_CONFIG_SECRET_KEYS). */
  readonly secretKeys: readonly string[];
  /** Every `secure:` value's key path, e.g. `sender-auth:dkim.selectors.s1.privateKey`. */
  readonly secretPaths: readonly string[];
}

/** `text`, cut to `maxLength` characters with the rest counted: hostile input is quoted, never in full. */
function shortened(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength)}… (${text.length - maxLength} more characters)` : text;
}

/** At most this many lines of a YAML error (message, source line, caret), each at most MAX_LINE characters. */
const MAX_YAML_ERROR_LINES = 4;
const MAX_YAML_ERROR_LINE = 160;

/**
 * Parses YAML into plain data, with the document it came from (which knows how each value was
 * written); the text is read from `file` (a bounded regular file of text, cli/safeFs.ts) unless given.
 */
function readYaml(file: string, text?: string): { value: unknown; document: Document } {
  const source = text ?? readYamlFile(file);
  try {
    const document = parseDocument(source, { prettyErrors: true });
    if (document.errors[0] !== undefined) throw document.errors[0];
    return { value: document.toJS() as unknown, document };
  } catch (error) {
    // The message quotes the offending source line: keep it short and printable (issue #11).
    const lines = (error instanceof Error ? error.message : String(error))
      .split("\n")
      .filter((line) => line.trim() !== "")
      .slice(0, MAX_YAML_ERROR_LINES)
      .map((line) => printable(shortened(line, MAX_YAML_ERROR_LINE)));
    throw new ProjectError(`${file}: not valid YAML: ${lines.join("\n")}`);
  }
}

/** Finds Pulumi.yaml in `start` or a parent directory and reads it. */
export function loadProject(start: string): Project {
  let dir = path.resolve(start);
  while (!existsSync(path.join(dir, "Pulumi.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new UsageError(`no Pulumi.yaml in ${path.resolve(start)} or any parent directory`);
    dir = parent;
  }
  const projectFile = path.join(dir, "Pulumi.yaml");
  const doc = parseProjectFile(projectFile);
  const stackConfigDir = path.join(dir, doc.stackConfigDir);
  checkInsideProject(projectFile, dir, doc.stackConfigDir, stackConfigDir);
  return {
    dir,
    name: doc.name,
    main: resolveMain(dir, doc.doc),
    stackConfigDir,
    defaults: doc.defaults,
  };
}

/** A stackConfigDir that exists must resolve inside the project, also through symbolic links. */
function checkInsideProject(projectFile: string, dir: string, configured: string, stackConfigDir: string): void {
  if (!existsSync(stackConfigDir)) return;
  let real: string;
  let realDir: string;
  try {
    real = realpathSync(stackConfigDir);
    realDir = realpathSync(dir);
  } catch (error) {
    throw fsError(error, stackConfigDir, "read");
  }
  if (real !== realDir && !real.startsWith(`${realDir}${path.sep}`)) {
    throw new ProjectError(
      `${projectFile}: stackConfigDir "${printable(configured)}" resolves to ${printable(real)}, ` +
        `outside the project directory ${printable(realDir)}; stack files must live inside the project`,
    );
  }
}

/**
 * What is wrong with a Pulumi.yaml `stackConfigDir`, or undefined: it must be a relative path that
 * stays inside the project (a base commit's Pulumi.yaml is as hostile as any other input).
 */
export function stackConfigDirProblem(value: string): string | undefined {
  const slashed = value.replace(/\\/g, "/");
  const normalized = path.posix.normalize(slashed);
  if (value.includes("\0") || path.posix.isAbsolute(slashed) || /^[A-Za-z]:/.test(slashed)) {
    return "is not a relative path";
  }
  if (normalized === ".." || normalized.startsWith("../")) return "is outside the project directory";
  return undefined;
}

export interface ProjectFile {
  readonly doc: Record<string, unknown>;
  readonly name: string;
  /** Relative to the project directory. */
  readonly stackConfigDir: string;
  readonly defaults: Readonly<Record<string, unknown>>;
}

/** Parses Pulumi.yaml (from `text` when given, e.g. read from git, else from `file`). */
export function parseProjectFile(file: string, text?: string): ProjectFile {
  const doc = readYaml(file, text).value;
  if (!isRecord(doc) || typeof doc["name"] !== "string") throw new ProjectError(`${file}: needs a name`);
  const name = doc["name"];
  const stackConfigDir = typeof doc["stackConfigDir"] === "string" ? doc["stackConfigDir"] : ".";
  const dirProblem = stackConfigDirProblem(stackConfigDir);
  if (dirProblem !== undefined) {
    throw new ProjectError(
      `${file}: stackConfigDir "${printable(shortened(stackConfigDir, 200))}" ${dirProblem}; it must be a relative path inside the project, such as stacks`,
    );
  }
  const defaults: Record<string, unknown> = {};
  if (isRecord(doc["config"])) {
    for (const [key, spec] of Object.entries(doc["config"])) {
      // Keys without a namespace belong to the project (Pulumi project file reference, `config`).
      const fullKey = key.includes(":") ? key : `${name}:${key}`;
      if (isRecord(spec) && ("type" in spec || "default" in spec || "description" in spec || "secret" in spec)) {
        if ("default" in spec) defaults[fullKey] = spec["default"];
      } else if (isRecord(spec) && "value" in spec) {
        defaults[fullKey] = spec["value"];
      } else {
        defaults[fullKey] = spec;
      }
    }
  }
  return {
    doc,
    name,
    stackConfigDir,
    defaults,
  };
}

/** The entry module, resolved like the Pulumi Node.js host: Pulumi.yaml `main`, then package.json `main`, then index. */
function resolveMain(dir: string, doc: Record<string, unknown>): string {
  let base = dir;
  if (typeof doc["main"] === "string") {
    const main = path.join(dir, doc["main"]);
    if (existsSync(main) && statSync(main).isFile()) return main;
    base = main;
  }
  const pkgFile = path.join(base, "package.json");
  if (existsSync(pkgFile)) {
    let pkg: unknown;
    try {
      pkg = JSON.parse(readYamlFile(pkgFile));
    } catch (error) {
      if (error instanceof ProjectError) throw error;
      throw new ProjectError(`${pkgFile}: not valid JSON: ${printable(error instanceof Error ? error.message : "")}`);
    }
    if (isRecord(pkg) && typeof pkg["main"] === "string") return path.join(base, pkg["main"]);
  }
  for (const candidate of ["index.ts", "index.js"]) {
    if (existsSync(path.join(base, candidate))) return path.join(base, candidate);
  }
  throw new ProjectError(`${dir}: no program entry point (index.ts)`);
}

/** Pulumi's limit on a stack name's length (sdk/go/common/tokens/stack_name.go). */
export const MAX_STACK_NAME_LENGTH = 100;
/** Pulumi's stack-name characters (sdk/go/common/tokens/stack_name.go: `[A-Za-z0-9_.-]`). */
const NOT_STACK_NAME_CHARACTER = /[^A-Za-z0-9_.-]/u;

/**
 * What is wrong with a stack name, or undefined: Pulumi's rules (1 to 100 letters, digits, hyphens,
 * underscores and periods) and ours, since a stack name becomes a file name (`Pulumi.<stack>.yaml`):
 * no leading period (`..`, hidden files) or hyphen (an option to `pulumi`). So no path separators,
 * newlines or control characters ever reach a file name or a `pulumi` command line (issue #11).
 */
export function stackNameProblem(stack: string): string | undefined {
  if (stack === "") return "a stack name may not be empty";
  const bad = NOT_STACK_NAME_CHARACTER.exec(stack);
  if (bad !== null) {
    return (
      `"${printable(bad[0])}" at position ${bad.index} is not allowed: a stack name may only contain letters, ` +
      `digits, hyphens, underscores and periods (Pulumi's stack-name characters), so it is never a path`
    );
  }
  if (stack.length > MAX_STACK_NAME_LENGTH) {
    return `a stack name has at most ${MAX_STACK_NAME_LENGTH} characters (Pulumi's limit); this one has ${stack.length}`;
  }
  if (stack.startsWith(".") || stack.startsWith("-")) return "a stack name must not start with a period or a hyphen";
  return undefined;
}

/** Throws a usage error unless `stack` is a valid stack name; every command calls it before touching a file. */
export function checkStackName(stack: string): void {
  const problem = stackNameProblem(stack);
  if (problem !== undefined) {
    throw new UsageError(`invalid stack name "${printable(shortened(stack, 120))}": ${problem}`);
  }
}

const STACK_FILE = /^Pulumi\.(.+)\.ya?ml$/s;

/**
 * Stack name → stack file among the file names of a stack config directory, sorted by name.
 * Pulumi.x.yaml and Pulumi.x.yml are one stack; the .yaml file wins. Names that are no valid stack
 * name (stackNameProblem) are no stack of ours: Pulumi could not select them either.
 */
export function stackFilesIn(files: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of [...files].sort()) {
    const stack = STACK_FILE.exec(file)?.[1];
    if (stack === undefined || stackNameProblem(stack) !== undefined) continue;
    if (!(found.get(stack)?.endsWith(".yaml") ?? false)) found.set(stack, file);
  }
  return new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Stack names that have a stack file, sorted. */
export function listStacks(project: Pick<Project, "stackConfigDir">): string[] {
  if (entryAt(project.stackConfigDir) === undefined) return [];
  let files: string[];
  try {
    files = readdirSync(project.stackConfigDir);
  } catch (error) {
    throw fsError(error, project.stackConfigDir, "list the stack files in");
  }
  return [...stackFilesIn(files).keys()];
}

/**
 * The stacks a command works on, as every command selects them: each requested name is checked
 * (checkStackName) before any file is looked at, none requested means every stack file, a name
 * given twice counts once, and names without a stack file are a usage error naming the file looked
 * for and the stacks there are. `option` names where the names came from (e.g. `--stack`) when they
 * are not the command's arguments.
 */
export function selectStacks(
  project: Pick<Project, "stackConfigDir">,
  requested: readonly string[],
  option?: string,
): string[] {
  for (const stack of requested) checkStackName(stack);
  const available = listStacks(project);
  if (requested.length === 0) return available;
  const unknown = [...new Set(requested.filter((stack) => !available.includes(stack)))];
  if (unknown.length > 0) {
    const files = unknown.map((stack) => `"${stack}" (${displayPath(stackFile(project, stack))})`);
    throw new UsageError(
      `${option === undefined ? "" : `${option}: `}no stack file for ${files.join(", ")}; stacks: ${available.join(", ") || "(none)"}`,
    );
  }
  return [...new Set(requested)];
}

/** A path as messages show it: relative to the working directory. */
export function displayPath(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

/** The stack's file (which need not exist); the stack name is checked first (checkStackName). */
export function stackFile(project: Pick<Project, "stackConfigDir">, stack: string): string {
  checkStackName(stack);
  const yaml = path.join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
  const yml = path.join(project.stackConfigDir, `Pulumi.${stack}.yml`);
  // Pulumi.<stack>.yaml is the name to report when neither exists. A link counts as there (and is refused when read).
  return entryAt(yaml) === undefined && entryAt(yml) !== undefined ? yml : yaml;
}

function isSecure(value: unknown): boolean {
  return isRecord(value) && Object.keys(value).length === 1 && typeof value["secure"] === "string";
}

/**
 * Replaces `secure:` leaves with the placeholder, except DKIM private keys
 * (`<project>:dkim` → `selectors.<name>.privateKey`), which are left out entirely: the program reads
 * them only as secrets and checks every one it finds, so a placeholder would fail that check, while
 * `pulumi preview` (which decrypts) runs it for real. Collects the path of every secure leaf.
 */
function stripSecrets(
  value: unknown,
  at: readonly (string | number)[],
  paths: string[],
  isPrivateKey: (at: readonly (string | number)[]) => boolean,
): unknown {
  if (isSecure(value)) {
    paths.push(pathBelow(String(at[0]), at.slice(1)));
    return isPrivateKey(at) ? undefined : UNDECRYPTED_SECRET;
  }
  if (Array.isArray(value)) return value.map((item, index) => stripSecrets(item, [...at, index], paths, isPrivateKey));
  if (isRecord(value)) {
    const out: [string, unknown][] = [];
    for (const [key, entry] of Object.entries(value)) {
      const stripped = stripSecrets(entry, [...at, key], paths, isPrivateKey);
      if (stripped !== undefined) out.push([key, stripped]);
    }
    // Own properties even for a key named __proto__, which validation then refuses by name.
    return Object.fromEntries(out);
  }
  return value;
}

/** Reads one stack's config as the Pulumi CLI would pass it to the program. */
export function readStackConfig(project: Project, stack: string): StackConfig {
  const file = stackFile(project, stack);
  if (entryAt(file) === undefined) {
    throw new UsageError(`no stack file for "${stack}" (${displayPath(file)})`);
  }
  return parseStackConfig(project, stack, file);
}

/**
 * Parses one stack file (from `text` when given, e.g. read from git, else from `file`) into the
 * config Pulumi would pass the program.
 */
export function parseStackConfig(
  project: Pick<Project, "name" | "defaults">,
  stack: string,
  file: string,
  text?: string,
): StackConfig {
  const { value: parsed, document } = readYaml(file, text);
  const doc = parsed ?? {};
  if (!isRecord(doc)) throw new ProjectError(`${file}: must be a YAML mapping with a config: section`);
  const values = doc["config"] ?? {};
  if (!isRecord(values)) throw new ProjectError(`${file}: config: must be a mapping of keys to values`);
  const merged: Record<string, unknown> = { ...project.defaults };
  for (const [key, value] of Object.entries(values)) merged[configKeyOf(project.name, key)] = value;
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const secretPaths: string[] = [];
  const dkimKey = `${project.name}:dkim`;
  const isPrivateKey = (at: readonly (string | number)[]): boolean =>
    at.length === 4 && at[0] === dkimKey && at[1] === "selectors" && at[3] === "privateKey";
  for (const key of Object.keys(merged).sort()) {
    const before = secretPaths.length;
    const value = stripSecrets(merged[key], [key], secretPaths, isPrivateKey);
    if (secretPaths.length > before) secretKeys.push(key);
    if (value === null || value === undefined) continue;
    config[key] =
      typeof value === "string"
        ? value
        : typeof value === "number" || typeof value === "boolean"
          ? String(value)
          : JSON.stringify(value);
  }
  const result = { stack, file, config, secretKeys, secretPaths };
  const problems = reportable([
    ...duplicateKeyProblems(project.name, Object.keys(values)),
    ...nonFiniteNumberProblems(project.name, values, document),
    ...plaintextPrivateKeyProblems(merged[dkimKey], isSecure),
  ]);
  if (problems.length > 0) throw new StackFileError(result, problems);
  return result;
}
