/**
 * What the Pulumi CLI and its Node.js language host (`pulumi-language-nodejs`) compute before they start
 * the program, re-done in TypeScript for ./engineRun.ts. Each function names the pulumi/pulumi (or
 * google/shlex) source it follows; read there before changing one.
 */
import { statSync } from "node:fs";
import * as path from "node:path";
import { isRecord } from "../../components/model";

/**
 * google/shlex `Split` (github.com/google/shlex, the splitter the host applies to Pulumi.yaml
 * `nodeargs`): words split on space, tab, CR and LF; `'...'` literal; `"..."` with backslash escaping
 * any character; a backslash outside quotes escapes the next character; `#` at the start of a word
 * comments out the rest of the line. Unlike a POSIX shell, nothing is expanded. Throws where Split
 * returns an error (unterminated quote, trailing backslash).
 */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  type State = "start" | "word" | "escape" | "quotedEscape" | "double" | "single" | "comment";
  let state: State = "start";
  let word = "";
  const space = (c: string): boolean => c === " " || c === "\t" || c === "\r" || c === "\n";
  for (const c of text) {
    switch (state) {
      case "start":
        if (space(c)) break;
        if (c === '"') state = "double";
        else if (c === "'") state = "single";
        else if (c === "\\") state = "escape";
        else if (c === "#") state = "comment";
        else {
          word = c;
          state = "word";
        }
        break;
      case "word":
        if (space(c)) {
          words.push(word);
          word = "";
          state = "start";
        } else if (c === '"') state = "double";
        else if (c === "'") state = "single";
        else if (c === "\\") state = "escape";
        else word += c;
        break;
      case "escape":
        word += c;
        state = "word";
        break;
      case "quotedEscape":
        word += c;
        state = "double";
        break;
      case "double":
        if (c === '"') state = "word";
        else if (c === "\\") state = "quotedEscape";
        else word += c;
        break;
      case "single":
        if (c === "'") state = "word";
        else word += c;
        break;
      case "comment":
        if (c === "\n") state = "start";
        break;
    }
  }
  switch (state) {
    case "word":
      words.push(word);
      break;
    case "escape":
    case "quotedEscape":
      throw new Error("EOF found after escape character");
    case "double":
    case "single":
      throw new Error("EOF found when expecting closing quote");
    default:
      break;
  }
  return words;
}

/**
 * Go's `json.Marshal` of a decoded YAML/JSON value: map keys sorted, `<`, `>`, `&`, U+2028 and U+2029
 * escaped as `\u003c`-style sequences (encoding/json's HTML-safe default). Numbers are printed as
 * JavaScript prints them, which matches Go for int64 and float64 within 2^53.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys(value[key])]),
    );
  }
  return value;
}

/**
 * The program directory and entry point the CLI gives the language host for a project (pkg/engine
 * project.go `getPwdMain`): Pulumi.yaml `main` relative to the project directory; a directory becomes
 * the program directory with entry point ".", a file its parent directory and base name; no `main` is
 * the project directory and ".". The host also starts node in the program directory.
 */
export function programLocation(projectDir: string, main: string | undefined): { pwd: string; entryPoint: string } {
  if (main === undefined || main === "") return { pwd: projectDir, entryPoint: "." };
  const full = path.resolve(projectDir, main);
  return statSync(full).isDirectory()
    ? { pwd: full, entryPoint: "." }
    : { pwd: path.dirname(full), entryPoint: path.basename(full) };
}

/** A `{ secure: "<ciphertext>" }` leaf (sdk/go/common/resource/config object.go `isSecureValue`). */
function isSecureLeaf(value: unknown): value is { secure: string } {
  return isRecord(value) && Object.keys(value).length === 1 && typeof value["secure"] === "string";
}

/** Whether a config value holds any secure leaf (object.go `Secure`: a composite with one is secret). */
export function holdsSecret(value: unknown): boolean {
  if (isSecureLeaf(value)) return true;
  if (Array.isArray(value)) return value.some(holdsSecret);
  if (isRecord(value)) return Object.values(value).some(holdsSecret);
  return false;
}

function decryptLeaves(value: unknown, decrypt: (ciphertext: string) => string): unknown {
  if (isSecureLeaf(value)) return decrypt(value.secure);
  if (Array.isArray(value)) return value.map((item) => decryptLeaves(item, decrypt));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, decryptLeaves(item, decrypt)]));
  }
  return value;
}

/** The config a run of the program receives: what the CLI decrypts and the host puts in the environment. */
export interface RunConfig {
  /** Decrypted values keyed `<namespace>:<key>` (the engine's config map, GetDeploymentInfo). */
  readonly config: Readonly<Record<string, string>>;
  /** Keys whose value holds a secure leaf, sorted (the CLI's order is Go map order, i.e. random). */
  readonly secretKeys: readonly string[];
  /** PULUMI_CONFIG: keys `<namespace>:config:<key>`, JSON as Go marshals a map[string]string. */
  readonly env: { readonly PULUMI_CONFIG: string; readonly PULUMI_CONFIG_SECRET_KEYS: string };
}

/** `<namespace>:<name>` of a stack-file or Pulumi.yaml config key (config key.go `ParseKey`). */
function configKey(projectName: string, key: string): { namespace: string; name: string } {
  const parts = key.split(":");
  if (parts.length === 1) return { namespace: projectName, name: key };
  if (parts.length === 2) return { namespace: parts[0] ?? "", name: parts[1] ?? "" };
  if (parts.length === 3 && parts[1] === "config") return { namespace: parts[0] ?? "", name: parts[2] ?? "" };
  throw new Error(`could not parse ${key} as a configuration key`);
}

/**
 * One value as the program sees it after the CLI decrypted it (config map.go `Decrypt` → plaintext.go
 * `marshalText`): a string (secure or not) as is, any other scalar as its JSON text (a top-level `true`
 * becomes "true"), null as "null", a map or list as Go JSON of its decrypted value.
 */
function marshalText(value: unknown): string {
  return typeof value === "string" ? value : goJson(value ?? null);
}

/**
 * The config of one run, from Pulumi.yaml's `config:` (defaults and values apply to keys the stack
 * does not set: pkg/workspace/config.go `mergeConfig`) and the stack file's `config:` map. Secure leaves
 * are decrypted with `decrypt`, as the engine does before it starts the language host
 * (pkg/resource/deploy/source_eval.go); a top-level key holding any secure leaf is listed as secret
 * (config map.go `SecureKeys`), with its whole value.
 */
export function runConfig(
  projectName: string,
  projectConfig: Readonly<Record<string, unknown>>,
  stackConfig: Readonly<Record<string, unknown>>,
  decrypt: (ciphertext: string) => string,
): RunConfig {
  const values = new Map<string, unknown>();
  for (const [key, value] of Object.entries(stackConfig)) {
    const { namespace, name } = configKey(projectName, key);
    values.set(`${namespace}:${name}`, value);
  }
  for (const [key, spec] of Object.entries(projectConfig)) {
    const { namespace, name } = configKey(projectName, key);
    const full = `${namespace}:${name}`;
    if (values.has(full)) continue;
    // A typed declaration ({type, default, description, secret}) or `{ value }`; `default` wins over `value`.
    if (isRecord(spec) && ("default" in spec || "value" in spec || "type" in spec)) {
      if ("default" in spec) values.set(full, spec["default"]);
      else if ("value" in spec) values.set(full, spec["value"]);
    } else {
      values.set(full, spec);
    }
  }
  const config: Record<string, string> = {};
  const envConfig: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const key of [...values.keys()].sort()) {
    const value = values.get(key);
    if (holdsSecret(value)) secretKeys.push(key);
    const text = marshalText(decryptLeaves(value, decrypt));
    config[key] = text;
    const { namespace, name } = configKey(projectName, key);
    envConfig[`${namespace}:config:${name}`] = text;
  }
  return {
    config,
    secretKeys,
    env: { PULUMI_CONFIG: goJson(envConfig), PULUMI_CONFIG_SECRET_KEYS: goJson(secretKeys) },
  };
}
