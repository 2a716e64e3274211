/**
 * Stack configuration → validated model, the same for every record family: the families (sections/)
 * say what their keys hold, check and build; this module runs them over a stack, in the registry's
 * order, and words what they find. Parsing is done with a schema (zod), never with
 * `requireObject<T>()` casts; every problem of a stack is collected and reported at once, each naming
 * the stack, the config key path, the bad value and what is allowed. Pure: no Pulumi imports, so the
 * same function serves `pulumi up`, `sender-auth plan` and the tests.
 */
import { z } from "zod";
import { keyPath } from "./keyPath";
import { isRecord, PROJECT, type DnsRecord, type SenderAuthConfig } from "./model";
import { showValue, type KeyProblem } from "./problems";
import { providerFor } from "./providers";
import { nameLengthProblem, lengthBudget } from "./records/names";
import { SECTIONS } from "./sections";
import { providerProblems } from "./sections/dns";
import { BOOLEAN_ALLOWED, checkedString, domainCheck, DOMAIN_ALLOWED } from "./sections/fields";
import type { AnySection, FixedName, RawStack, ValidationContext } from "./sections/types";
import { unknownKeyHint, valueHint } from "./userSpellings";

/** One thing wrong with a stack's configuration. */
export interface Problem {
  /** Config key path in `pulumi config --path` syntax, e.g. `sender-auth:dkim.selectors.s1.status`. */
  readonly path: string;
  /** What is wrong, including the bad value. */
  readonly message: string;
}

/** Thrown before any resource is registered when a stack's configuration is invalid. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly stackName: string,
    readonly problems: readonly Problem[],
  ) {
    super(problems.map((problem) => `stack ${stackName}: ${problem.path}: ${problem.message}`).join("\n"));
  }
}

/** A validated stack: its model, the records it publishes and the warnings it draws. */
export interface ValidatedStack {
  readonly stack: string;
  readonly config: SenderAuthConfig;
  readonly records: readonly DnsRecord[];
  readonly warnings: readonly string[];
}

// ---------------------------------------------------------------------------------------------------
// The stack: `domain`, one key per registered family (the required ones first), and `parked`.

/** Keys Pulumi passes as the text "true" or "false". */
const BOOLEAN_KEYS = new Set(["parked"]);

/** What a registry of sections makes of a stack: its schema and what each key allows. */
interface Registry {
  readonly sections: readonly AnySection[];
  readonly schema: z.ZodObject;
  /** Allowed values by key pattern (`*` = any name in a map, `[]` = any list element). */
  readonly allowed: Readonly<Record<string, string>>;
}

const registries = new WeakMap<readonly AnySection[], Registry>();

function registryOf(sections: readonly AnySection[]): Registry {
  const known = registries.get(sections);
  if (known !== undefined) return known;
  const schema = z.strictObject({
    domain: checkedString(domainCheck),
    ...Object.fromEntries(sections.filter((s) => s.required).map((s) => [s.key, s.schema])),
    ...Object.fromEntries(sections.filter((s) => !s.required).map((s) => [s.key, s.schema.optional()])),
    parked: z.boolean().default(false),
  });
  const allowed: Record<string, string> = { domain: DOMAIN_ALLOWED };
  for (const section of sections) {
    for (const [pattern, text] of Object.entries(section.allowed)) {
      allowed[pattern === "" ? section.key : `${section.key}${pattern.startsWith("[") ? "" : "."}${pattern}`] = text;
    }
  }
  allowed["parked"] = BOOLEAN_ALLOWED;
  const registry = { sections, schema, allowed };
  registries.set(sections, registry);
  return registry;
}

/** Allowed values by key pattern, for the registered families; one table drives the messages. */
export const ALLOWED: Readonly<Record<string, string>> = registryOf(SECTIONS).allowed;

/** The schema below the wrappers that do not change a value's shape (optional, default, preprocess). */
function unwrapped(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.out as z.ZodType;
    else return current;
  }
}

/**
 * Follows `path` through the stack schema: the key pattern it matches (`dkim.selectors.*.status`,
 * `spf.ip4[]`) and the schema found there, if any.
 */
function walk(registry: Registry, path: readonly PropertyKey[]): { pattern: string; schema: z.ZodType | undefined } {
  let schema: z.ZodType | undefined = registry.schema;
  let pattern = "";
  for (const segment of path) {
    const node = unwrapped(schema);
    if (typeof segment === "number") {
      pattern += "[]";
      schema = node instanceof z.ZodArray ? (node.element as z.ZodType) : undefined;
    } else if (node instanceof z.ZodRecord) {
      pattern += pattern === "" ? "*" : ".*";
      schema = node.valueType as z.ZodType;
    } else {
      const name = String(segment);
      pattern += pattern === "" ? name : `.${name}`;
      schema =
        node instanceof z.ZodObject && Object.hasOwn(node.shape, name) ? (node.shape[name] as z.ZodType) : undefined;
    }
  }
  return { pattern, schema: unwrapped(schema) };
}

function allowedFor(registry: Registry, path: readonly PropertyKey[]): string | undefined {
  return registry.allowed[walk(registry, path).pattern];
}

/** The keys an object at `path` may have, for "unknown key" messages. */
function knownKeysAt(registry: Registry, path: readonly PropertyKey[]): string | undefined {
  const { schema } = walk(registry, path);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape).join(", ") : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Reading Pulumi's config map.

/**
 * Decodes this project's keys from Pulumi's config map (`pulumi.runtime.allConfig()`: every value a
 * string, structured values as JSON text, booleans as "true"/"false") into plain data. Values that do
 * not decode are passed on as the string they are, so the schema reports them with the key path. A
 * value of a plain key that is JSON for a list or an object (`domain: [example.com]`) is decoded too,
 * so it is reported as the wrong type rather than as a bad name. A family may decode its own value
 * further (`decode`): DKIM drops private keys unread, or marks them when they are stored in plain
 * text, whether `isSecret` says `sender-auth:dkim` is secret or not (sections/dkim/keys.ts).
 */
export function decodeConfigMap(
  all: Readonly<Record<string, string>>,
  isSecret: (fullKey: string) => boolean = () => false,
  sections: readonly AnySection[] = SECTIONS,
): Record<string, unknown> {
  const prefix = `${PROJECT}:`;
  const entries: [string, unknown][] = [];
  for (const [fullKey, text] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    entries.push([key, decodeValue(key, text, () => isSecret(fullKey), sections)]);
  }
  // Object.fromEntries defines own properties, so a key named __proto__ stays visible to validation.
  return Object.fromEntries(entries);
}

function decodeValue(key: string, text: string, isSecret: () => boolean, sections: readonly AnySection[]): unknown {
  if (/^\s*[[{]/.test(text)) {
    try {
      const value = JSON.parse(text) as unknown;
      const section = sections.find((s) => s.key === key);
      return section?.decode === undefined ? value : section.decode(value, isSecret);
    } catch {
      // fall through: reported as the wrong type
    }
  }
  return BOOLEAN_KEYS.has(key) && (text === "true" || text === "false") ? text === "true" : text;
}

// ---------------------------------------------------------------------------------------------------
// Messages.

function worded(registry: Registry, found: KeyProblem): Problem {
  const got = found.value === undefined ? "" : ` (got ${showValue(found.value)})`;
  // The user's own spelling (`~all`, a pasted DKIM record, ...) named in the words we use
  // (components/userSpellings.ts).
  const hint = found.value === undefined ? undefined : valueHint(found.path, found.value);
  const allowed = found.allowed ?? allowedFor(registry, found.path);
  return {
    path: keyPath(found.path),
    message: `${found.message}${got}${hint === undefined ? "" : `: ${hint}`}${allowed ? `; allowed: ${allowed}` : ""}`,
  };
}

/** A problem worded for the stack: the key path, what is wrong, the bad value if given, and what is allowed. */
export function formatProblem(found: KeyProblem, sections: readonly AnySection[] = SECTIONS): Problem {
  return worded(registryOf(sections), found);
}

/** A problem at `path` (below `sender-auth:`): what is wrong, the bad value if given, and what is allowed. */
export function problem(path: readonly PropertyKey[], what: string, value?: unknown, allowed?: string): Problem {
  return formatProblem({
    path,
    message: what,
    ...(value === undefined ? {} : { value }),
    ...(allowed === undefined ? {} : { allowed }),
  });
}

function fromIssue(registry: Registry, issue: z.core.$ZodIssue): Problem[] {
  const input = "input" in issue ? issue.input : undefined;
  const at = (message: string, value?: unknown, allowed?: string): Problem =>
    worded(registry, {
      path: issue.path,
      message,
      ...(value === undefined ? {} : { value }),
      ...(allowed === undefined ? {} : { allowed }),
    });
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const known = knownKeysAt(registry, issue.path);
        // A DMARC tag name (`p`, `aspf`, ...) names the key to use instead (components/userSpellings.ts).
        const hint = unknownKeyHint([...issue.path, key], isRecord(input) ? input[key] : undefined);
        return worded(registry, {
          path: [...issue.path, key],
          message: hint === undefined ? "unknown key" : `unknown key: ${hint}`,
          ...(known === undefined ? {} : { allowed: known }),
        });
      });
    case "invalid_type":
      if (input === undefined) return [at("is required")];
      return [at(issue.expected === "int" ? "must be a whole number" : `must be ${article(issue.expected)}`, input)];
    case "invalid_value":
      if (input === undefined) return [at("is required")];
      return [at("is not an allowed value", input)];
    case "too_small":
    case "too_big":
      return [at("is out of range", input)];
    default:
      return [at(issue.message, input)];
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

// ---------------------------------------------------------------------------------------------------
// Keys refused before the schema or any other check reads the config.

/** Key names every JavaScript object answers to; used as keys they reach an object's prototype. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** The problem of a key named `__proto__`, `constructor` or `prototype` anywhere in config. */
export function reservedKeyProblem(path: readonly PropertyKey[]): Problem {
  return problem(
    path,
    "is a key name JavaScript gives every object, which could reach an object's prototype (prototype " +
      `pollution); sender-auth refuses ${[...RESERVED_KEYS].join(", ")} as keys anywhere in its config: ` +
      "rename or remove it",
    undefined,
    "",
  );
}

/**
 * A copy of `raw` without reserved key names and without the keys a family refuses to read (a DKIM
 * private key, which reaches the plain config only when stored in plain text), and a problem for each.
 * Nothing after this sees those keys, so no check can index an object with them.
 */
function withoutRefusedKeys(
  registry: Registry,
  raw: Record<string, unknown>,
): { clean: Record<string, unknown>; problems: Problem[] } {
  const problems: Problem[] = [];
  const copy = (value: unknown, path: readonly PropertyKey[]): unknown => {
    if (Array.isArray(value)) return value.map((item: unknown, index) => copy(item, [...path, index]));
    if (!isRecord(value)) return value;
    const kept: [string, unknown][] = [];
    for (const [key, entry] of Object.entries(value)) {
      const at = [...path, key];
      const refused = registry.sections.find((s) => s.key === at[0])?.refused?.(at);
      if (RESERVED_KEYS.has(key)) problems.push(reservedKeyProblem(at));
      else if (refused !== undefined) problems.push(worded(registry, refused));
      else kept.push([key, copy(entry, at)]);
    }
    return Object.fromEntries(kept);
  };
  return { clean: copy(raw, []) as Record<string, unknown>, problems };
}

// ---------------------------------------------------------------------------------------------------
// Checks across families, on the raw input, so they are reported together with the schema's findings.

/**
 * A family with parked records publishes them instead of its own: its key cannot be set on a parked
 * domain. Nor can the key of a family without any: a parked domain sends and receives no mail, so its
 * records would say nothing, and dropping the key silently would hide the mistake.
 */
function parkedProblems(sections: readonly AnySection[], raw: RawStack): KeyProblem[] {
  if (raw["parked"] !== true) return [];
  const optional = sections.filter((s) => !s.required);
  const titles = optional.filter((s) => s.parked !== undefined).map((s) => s.title);
  const own = titles.length > 1 ? `${titles.slice(0, -1).join(", ")} and ${titles.at(-1) ?? ""}` : titles.join("");
  return optional
    .filter((s) => raw[s.key] !== undefined)
    .map((s) => ({
      path: [s.key],
      message:
        "is not allowed together with sender-auth:parked: true " +
        (s.parked === undefined
          ? `(a parked domain sends and receives no mail, so it publishes no ${s.title} record)`
          : `(a parked domain publishes its own ${own} records)`) +
        "; remove it or set parked: false",
      allowed: "",
    }));
}

/**
 * Names records are published at, counted with the labels sender-auth adds (RFC 1035 §2.3.4): BIND and
 * both providers refuse a longer name, so it is refused here first, at the key that makes it long. Of
 * the names the domain alone makes too long, the longest is named: one problem is enough.
 */
function publishedNameProblems(sections: readonly AnySection[], raw: RawStack): KeyProblem[] {
  const domain = raw["domain"];
  if (typeof domain !== "string" || domainCheck(domain) !== undefined) return [];
  const fixed: FixedName[] = sections
    .flatMap((s) => s.fixedNames?.(raw, domain) ?? [])
    .sort((a, b) => b.name.length - a.name.length);
  const first = fixed.find(({ name }) => nameLengthProblem(name) !== undefined);
  return [
    ...(first === undefined
      ? []
      : [
          {
            path: ["domain"],
            message:
              `is ${domain.length} characters long, which makes the record name of ${first.what}, ${first.name}, ` +
              (nameLengthProblem(first.name) ?? ""),
            allowed: `a domain of at most ${lengthBudget(first.name, domain)} characters here`,
          },
        ]),
    ...sections.flatMap((s) => s.nameProblems?.(raw, domain) ?? []),
  ];
}

/** Shared state of one validation: each family's parsed values, computed once. */
function validationContext(): ValidationContext {
  const memos = new Map<string, unknown>();
  return {
    memo<T>(id: string, compute: () => T): T {
      if (!memos.has(id)) memos.set(id, compute());
      return memos.get(id) as T;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Validation.

/**
 * Validates one stack's configuration and builds its records, or throws {@link ConfigError} listing
 * every problem. `input` is the decoded `sender-auth:*` config ({@link decodeConfigMap}); `sections`
 * the record families to validate it with.
 */
export function validateStack(
  stack: string,
  input: Record<string, unknown>,
  now: Date = new Date(),
  sections: readonly AnySection[] = SECTIONS,
): ValidatedStack {
  const registry = registryOf(sections);
  const { clean: raw, problems: refused } = withoutRefusedKeys(registry, input);
  const result = registry.schema.safeParse(raw, { reportInput: true });
  const context = validationContext();
  const word = (found: KeyProblem): Problem => worded(registry, found);
  // Array spreads, not push(...): a hostile list can hold more problems than a call has arguments.
  const problems = [
    ...refused,
    ...(result.success ? [] : result.error.issues.flatMap((issue) => fromIssue(registry, issue))),
    ...parkedProblems(sections, raw).map(word),
    ...sections.flatMap((s) => s.problems?.(raw, context) ?? []).map(word),
    ...publishedNameProblems(sections, raw).map(word),
    ...providerProblems(raw).map(word),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(stack, reportable(problems));

  const parsed = result.data;
  const config = Object.fromEntries([
    ["domain", parsed["domain"]],
    ...sections.map((s) => [s.key, parsed[s.key] === undefined ? undefined : s.model(parsed[s.key], context)]),
    ["parked", parsed["parked"]],
  ]) as SenderAuthConfig;
  const built = sections.map((s) => (config.parked ? s.parked?.(config) : s.records?.(config)));
  const records = built.flatMap((b) => b?.records ?? []);
  const audit = providerFor(config.dns.provider).audit(config, records);
  if (audit.problems.length > 0) throw new ConfigError(stack, audit.problems.map(word));
  return {
    stack,
    config,
    records,
    warnings: [
      ...sections.flatMap((s) => s.warnings?.(config, records, now) ?? []),
      ...built.flatMap((b) => b?.warnings ?? []),
      ...audit.warnings,
    ],
  };
}

/** Problems reported per list, and per stack: a hostile config must not print 200,000 lines. */
export const MAX_PROBLEMS_PER_LIST = 10;
export const MAX_PROBLEMS_PER_STACK = 100;

/** Drops repeated problems and caps how many are listed, saying where the rest are. */
export function reportable(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  const perList = new Map<string, number>();
  const kept = problems.filter((p) => {
    const key = `${p.path}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    const list = /^(.*)\[\d+\]/.exec(p.path)?.[1];
    if (list === undefined) return true;
    const count = (perList.get(list) ?? 0) + 1;
    perList.set(list, count);
    return count <= MAX_PROBLEMS_PER_LIST;
  });
  for (const [list, count] of perList) {
    if (count > MAX_PROBLEMS_PER_LIST) {
      kept.push({
        path: list,
        message: `has ${count - MAX_PROBLEMS_PER_LIST} more problems in its entries, not listed`,
      });
    }
  }
  if (kept.length <= MAX_PROBLEMS_PER_STACK) return kept;
  const rest = kept.slice(MAX_PROBLEMS_PER_STACK - 1);
  const first = rest[0]?.path ?? PROJECT;
  return [
    ...kept.slice(0, MAX_PROBLEMS_PER_STACK - 1),
    { path: /^[^.[]+/.exec(first)?.[0] ?? first, message: `and ${rest.length} more problems from here on, not listed` },
  ];
}
