/**
 * Problems of a stack file itself, which only a reader of the file can see: the Pulumi CLI hands the
 * program one string per top-level key, so by then two spellings of one key have become one (chosen at
 * random), an infinite number has made the CLI refuse the file, and a plain-text private key looks like
 * a decrypted one. Pure functions over the parsed YAML; `parseStackConfig` (project.ts) calls them.
 */
import { isScalar, stringify as stringifyYaml, type Document } from "yaml";
import { formatProblem, problem, reportable, type Problem } from "../components/config";
import { keyPath } from "../components/keyPath";
import { plaintextPrivateKey } from "../components/sections/dkim/keys";
import { isRecord, PROJECT } from "../components/model";

/**
 * `<namespace>:<name>` of a stack-file key as the Pulumi CLI reads it: a bare key gets the project's
 * namespace (sdk/go/common/workspace/loaders.go, stackConfigNamespacedWithProject), and
 * `<namespace>:config:<name>` is the old spelling of `<namespace>:<name>` (sdk/go/common/resource/config/
 * key.go, ParseKey). Other keys are returned as they are.
 */
export function configKeyOf(projectName: string, key: string): string {
  if (!key.includes(":")) return `${projectName}:${key}`;
  const parts = key.split(":");
  return parts.length === 3 && parts[1] === "config" ? `${parts[0] ?? ""}:${parts[2] ?? ""}` : key;
}

/**
 * A problem at `rest` below the top-level key `fullKey`, in `pulumi config --path` syntax; for this
 * project's keys with what is allowed there.
 */
function problemAt(fullKey: string, rest: readonly (string | number)[], what: string, allowed?: string): Problem {
  const colon = fullKey.indexOf(":");
  const [namespace, name] = [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
  if (namespace === PROJECT) return problem([name, ...rest], what, undefined, allowed);
  return { path: keyPath([name, ...rest], namespace), message: what };
}

/**
 * Keys written more than once under different spellings (`domain`, `sender-auth:domain`,
 * `sender-auth:config:domain`). The Pulumi CLI rewrites them into one key by iterating a Go map, so
 * which value it keeps changes from run to run (loaders.go; config/map.go, UnmarshalYAML).
 */
export function duplicateKeyProblems(projectName: string, keys: readonly string[]): Problem[] {
  const spellings = new Map<string, string[]>();
  for (const key of keys) {
    const fullKey = configKeyOf(projectName, key);
    spellings.set(fullKey, [...(spellings.get(fullKey) ?? []), key]);
  }
  return [...spellings]
    .filter(([, written]) => written.length > 1)
    .map(([fullKey, written]) =>
      problemAt(
        fullKey,
        [],
        `is set ${written.length === 2 ? "twice" : `${written.length} times`} in the stack file, ` +
          `as ${written.map((key) => `"${key}"`).join(" and ")}: ` +
          `the Pulumi CLI reads these as one key and keeps one of the values at random; remove all but one`,
        `one spelling of each key, e.g. "${fullKey}"`,
      ),
    );
}

/**
 * Numbers that are not finite (`.inf`, `-.inf`, `.nan`, or a literal too large for a double), named as
 * the stack file writes them. The Pulumi CLI cannot encode them as JSON and refuses the stack file
 * (config/object.go, MarshalString); read naively they would surface as `null`.
 */
export function nonFiniteNumberProblems(
  projectName: string,
  values: Readonly<Record<string, unknown>>,
  document: Document,
): Problem[] {
  const problems: Problem[] = [];
  const walk = (value: unknown, key: string, rest: (string | number)[]): void => {
    if (typeof value === "number" && !Number.isFinite(value)) {
      const node = document.getIn(["config", key, ...rest], true);
      const written = isScalar(node) && typeof node.source === "string" ? node.source : stringifyYaml(value).trim();
      problems.push(
        problemAt(
          configKeyOf(projectName, key),
          rest,
          `is ${written}, which is not a finite number: the Pulumi CLI refuses a stack file holding it, as JSON has no infinity or NaN`,
        ),
      );
    } else if (Array.isArray(value)) {
      value.forEach((item: unknown, index) => {
        walk(item, key, [...rest, index]);
      });
    } else if (isRecord(value)) {
      for (const [name, item] of Object.entries(value)) walk(item, key, [...rest, name]);
    }
  };
  for (const [key, value] of Object.entries(values)) walk(value, key, []);
  return problems;
}

/**
 * `dkim.selectors.<name>.privateKey` values that are not `secure:` (encrypted) in the stack file. Read
 * per leaf here, because the program only learns whether the whole `sender-auth:dkim` key is secret.
 */
export function plaintextPrivateKeyProblems(dkim: unknown, isSecure: (value: unknown) => boolean): Problem[] {
  const selectors = isRecord(dkim) ? dkim["selectors"] : undefined;
  if (!isRecord(selectors)) return [];
  return Object.entries(selectors)
    .filter(([, entry]) => isRecord(entry) && Object.hasOwn(entry, "privateKey") && !isSecure(entry["privateKey"]))
    .map(([name]) => formatProblem(plaintextPrivateKey(name)));
}

/**
 * A stack file's own problems followed by the program's, leaving out the program's findings at or
 * below a path the file problems already name (an infinite TTL would otherwise also be "not a number").
 */
export function mergeProblems(fileProblems: readonly Problem[], programProblems: readonly Problem[]): Problem[] {
  const covered = (path: string): boolean =>
    fileProblems.some((p) => path === p.path || path.startsWith(`${p.path}.`) || path.startsWith(`${p.path}[`));
  return reportable([...fileProblems, ...programProblems.filter((p) => !covered(p.path))]);
}
