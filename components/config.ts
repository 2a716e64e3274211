/**
 * Stack configuration → validated model. Parsing is done with a schema (zod), never with
 * `requireObject<T>()` casts; every problem of a stack is collected and reported at once, each naming
 * the stack, the config key path, the bad value and what is allowed. Pure: no Pulumi imports, so the
 * same function serves `pulumi up`, `sender-auth plan` and the tests.
 */
import { z } from "zod";
import {
  DEFAULT_MAX_KEY_AGE_DAYS,
  DEFAULT_TTL,
  DKIM_ALGORITHMS,
  DKIM_STATUSES,
  DMARC_ALIGNMENTS,
  DMARC_FAILURE_OPTIONS,
  DMARC_POLICIES,
  DNS_PROVIDERS,
  isRecord,
  PROJECT,
  SPF_ALL_VALUES,
  type DkimKeyInfo,
  type DkimSelectorConfig,
  type SelectorSummary,
  type DnsRecord,
  type SenderAuthConfig,
} from "./model";
import { providerFor } from "./providers";
import { buildRecords } from "./records";
import { DAY_MS } from "./clock";
import { publicKeyOf } from "./dkimKeys";
import { dkimRecordName, inspectDkimPublicKey, RSA_RECOMMENDED_BITS } from "./records/dkim";
import { dmarcRecordName, inspectMailto, reportAuthName } from "./records/dmarc";
import {
  domainNameProblem,
  isWithinDomain,
  MAX_NAME_LENGTH,
  nameLengthProblem,
  selectorProblem,
} from "./records/names";
import { countSpfLookups, ip4Problem, ip6Problem, SPF_MAX_LOOKUPS } from "./records/spf";
import { txtValueProblem } from "./records/txt";

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
// What is allowed, per key. One table drives both the messages and the README's config reference.

const list = (values: readonly string[]): string => values.join(", ");
const DOMAIN_ALLOWED = "a lower-case domain name in Punycode without trailing dot, e.g. example.com";
const HOST_ALLOWED = "a lower-case host name, e.g. _spf.google.com";

/** Allowed values by key pattern (`*` = any selector name, `[]` = any list element). */
export const ALLOWED: Readonly<Record<string, string>> = {
  domain: DOMAIN_ALLOWED,
  dns: "an object with provider, zoneId, ttl, preserveTxt",
  "dns.provider": list(DNS_PROVIDERS),
  "dns.zoneId":
    "the zone's ID: 32 hex characters (Cloudflare) or the hosted zone ID such as Z0123456789ABCDEFGHIJ (Route53)",
  "dns.ttl": "a whole number of seconds: 1 (automatic) or 60–86400 on Cloudflare, 0–2147483647 on Route53",
  "dns.preserveTxt": "a list of strings",
  "dns.preserveTxt[]": "printable ASCII without double quotes or backslashes, not starting v=spf1",
  spf: "an object with ip4, ip6, a, mx, include, exists, all, redirect",
  "spf.ip4": "a list of IPv4 addresses or CIDR ranges",
  "spf.ip4[]": "an IPv4 address or CIDR range such as 192.0.2.1 or 192.0.2.0/24",
  "spf.ip6": "a list of IPv6 addresses or CIDR ranges",
  "spf.ip6[]": "a lower-case IPv6 address or CIDR range such as 2001:db8::/32",
  "spf.a": "true or false",
  "spf.mx": "true or false",
  "spf.include": "a list of host names",
  "spf.include[]": HOST_ALLOWED,
  "spf.exists": "a list of host names",
  "spf.exists[]": HOST_ALLOWED,
  "spf.all": list(SPF_ALL_VALUES),
  "spf.redirect": HOST_ALLOWED,
  dkim: "an object with selectors, maxKeyAgeDays, removedSelectors",
  "dkim.selectors":
    "a map from selector name to { status, algorithm, publicKey | cname, privateKey, createdAt, retiredAt }",
  "dkim.selectors.*": "an object with status, algorithm, publicKey or cname, privateKey, createdAt, retiredAt",
  "dkim.selectors.*.privateKey":
    "the PEM private key whose public half is publicKey, stored as a secret (sender-auth keygen)",
  "dkim.maxKeyAgeDays": "a whole number of days, at least 1",
  "dkim.removedSelectors":
    "a map from the name of a selector removed from config to the date it was removed (written by sender-auth rotate)",
  "dkim.removedSelectors.*": "an ISO 8601 date such as 2026-11-28",
  "dkim.selectors.*.status": list(DKIM_STATUSES),
  "dkim.selectors.*.algorithm": list(DKIM_ALGORITHMS),
  "dkim.selectors.*.publicKey": "base64 SubjectPublicKeyInfo DER (rsa) or the raw 32-byte key in base64 (ed25519)",
  "dkim.selectors.*.cname": HOST_ALLOWED,
  "dkim.selectors.*.createdAt": "an ISO 8601 date such as 2026-11-28",
  "dkim.selectors.*.retiredAt": "an ISO 8601 date such as 2026-11-28",
  dmarc:
    "an object with policy, subdomainPolicy, nonexistentSubdomainPolicy, testing, percent, rua, ruf, alignmentSPF, alignmentDKIM, failureOptions, authorizeReportsFor",
  "dmarc.policy": list(DMARC_POLICIES),
  "dmarc.subdomainPolicy": list(DMARC_POLICIES),
  "dmarc.nonexistentSubdomainPolicy": list(DMARC_POLICIES),
  "dmarc.testing": "true or false",
  "dmarc.percent": "a whole number from 0 to 100",
  "dmarc.rua": "a list of mailto: URIs",
  "dmarc.rua[]": "a mailto: URI such as mailto:dmarc@example.com",
  "dmarc.ruf": "a list of mailto: URIs",
  "dmarc.ruf[]": "a mailto: URI such as mailto:dmarc@example.com",
  "dmarc.alignmentSPF": list(DMARC_ALIGNMENTS),
  "dmarc.alignmentDKIM": list(DMARC_ALIGNMENTS),
  "dmarc.failureOptions": "a list of fo= options",
  "dmarc.failureOptions[]": list(DMARC_FAILURE_OPTIONS),
  "dmarc.authorizeReportsFor": "a list of domain names",
  "dmarc.authorizeReportsFor[]": DOMAIN_ALLOWED,
  parked: "true or false",
};

// ---------------------------------------------------------------------------------------------------
// Schema: structure, types and per-value checks.

type Check = (value: string) => string | undefined;

/** A string checked by `check`; the problem text becomes the issue message. */
function checkedString(check: Check) {
  return z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, input: value });
  });
}

/** A list of strings, each checked, duplicates refused (they would collide as records or mean a typo). */
function checkedList(check: Check) {
  return z
    .array(z.string())
    .default([])
    .superRefine((values, ctx) => {
      const seen = new Set<string>();
      values.forEach((value, index) => {
        const problem = check(value);
        if (problem !== undefined) ctx.addIssue({ code: "custom", path: [index], message: problem, input: value });
        else if (seen.has(value)) {
          ctx.addIssue({ code: "custom", path: [index], message: "is listed twice", input: value });
        }
        seen.add(value);
      });
    });
}

const domainCheck: Check = (value) => domainNameProblem(value, { underscores: false });
const hostCheck: Check = (value) =>
  value.includes("%")
    ? "uses an SPF macro, which sender-auth does not support"
    : domainNameProblem(value, { underscores: true });
const isoDateCheck: Check = (value) =>
  /^\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2}))?$/.test(value) && !Number.isNaN(Date.parse(value))
    ? undefined
    : "is not an ISO 8601 date";
const preserveCheck: Check = (value) => {
  const problem = txtValueProblem(value);
  if (problem !== undefined) return problem;
  // RFC 7208 §3.2, §4.5: two v=spf1 records at one name make every SPF check a permerror.
  if (/^v=spf1(?: |$)/i.test(value)) {
    return "is an SPF record; a second v=spf1 record makes SPF fail with permerror (RFC 7208 §3.2): put its mechanisms into sender-auth:spf instead";
  }
  return undefined;
};
const mailtoCheck: Check = (value) => {
  const inspection = inspectMailto(value);
  return inspection.ok ? undefined : inspection.problem;
};

const policy = z.enum(DMARC_POLICIES);
const alignment = z.enum(DMARC_ALIGNMENTS);

const dnsSchema = z.strictObject({
  provider: z.enum(DNS_PROVIDERS),
  zoneId: z.string(),
  ttl: z.number().int().default(DEFAULT_TTL),
  preserveTxt: checkedList(preserveCheck),
});

const spfSchema = z.strictObject({
  ip4: checkedList(ip4Problem),
  ip6: checkedList(ip6Problem),
  a: z.boolean().default(false),
  mx: z.boolean().default(false),
  include: checkedList(hostCheck),
  exists: checkedList(hostCheck),
  all: z.enum(SPF_ALL_VALUES).optional(),
  redirect: checkedString(hostCheck).optional(),
});

const selectorSchema = z.strictObject({
  status: z.enum(DKIM_STATUSES),
  algorithm: z.enum(DKIM_ALGORITHMS).default("rsa"),
  publicKey: z.string().optional(),
  cname: checkedString(hostCheck).optional(),
  createdAt: checkedString(isoDateCheck).optional(),
  retiredAt: checkedString(isoDateCheck).optional(),
});

const dkimSchema = z.strictObject({
  selectors: z.record(z.string(), selectorSchema),
  maxKeyAgeDays: z.number().int().min(1).default(DEFAULT_MAX_KEY_AGE_DAYS),
  // Names once bound to a key are never bound to another (RFC 6376 §3.1, issue #11); see crossFieldProblems.
  removedSelectors: z.record(z.string(), checkedString(isoDateCheck)).default({}),
});

/** fo= values are strings, but YAML turns a bare `1` into a number: accept that one spelling too. */
const failureOption = z.preprocess(
  (value) => (value === 0 || value === 1 ? String(value) : value),
  z.enum(DMARC_FAILURE_OPTIONS),
);

const dmarcSchema = z.strictObject({
  policy,
  subdomainPolicy: policy.optional(),
  nonexistentSubdomainPolicy: policy.optional(),
  testing: z.boolean().default(false),
  percent: z.number().int().min(0).max(100).optional(),
  rua: checkedList(mailtoCheck),
  ruf: checkedList(mailtoCheck),
  alignmentSPF: alignment.optional(),
  alignmentDKIM: alignment.optional(),
  failureOptions: z.array(failureOption).default([]),
  authorizeReportsFor: checkedList(domainCheck),
});

const stackSchema = z.strictObject({
  domain: checkedString(domainCheck),
  dns: dnsSchema,
  spf: spfSchema.optional(),
  dkim: dkimSchema.optional(),
  dmarc: dmarcSchema.optional(),
  parked: z.boolean().default(false),
});

type ParsedStack = z.output<typeof stackSchema>;
type ParsedSelector = z.output<typeof selectorSchema>;

// ---------------------------------------------------------------------------------------------------
// Reading Pulumi's config map.

const BOOLEAN_KEYS = new Set(["parked"]);

/**
 * Stands in for a `privateKey` that reached the plain config map, so validation can name it without
 * ever holding the key: see {@link decodeConfigMap}.
 */
const PLAINTEXT_PRIVATE_KEY = Symbol("plaintext privateKey, not read");

/**
 * Decodes this project's keys from Pulumi's config map (`pulumi.runtime.allConfig()`: every value a
 * string, structured values as JSON text, booleans as "true"/"false") into plain data. Values that do
 * not decode are passed on as the string they are, so the schema reports them with the key path. A
 * value of a plain key that is JSON for a list or an object (`domain: [example.com]`) is decoded too,
 * so it is reported as the wrong type rather than as a bad name.
 *
 * `selectors.<name>.privateKey` is never read: when `isSecret` says `sender-auth:dkim` is secret, it is
 * dropped (the program reads private keys only as secrets, `Config.getSecretObject`); otherwise the key
 * sits in plain text in the stack file, and a marker is left for {@link validateStack} to refuse it.
 * Pulumi marks only whole top-level keys as secret, so a plaintext key next to a secret one in the
 * same `dkim` object is invisible here; `sender-auth plan`, which reads each leaf, catches that one.
 */
export function decodeConfigMap(
  all: Readonly<Record<string, string>>,
  isSecret: (fullKey: string) => boolean = () => false,
): Record<string, unknown> {
  const prefix = `${PROJECT}:`;
  const entries: [string, unknown][] = [];
  for (const [fullKey, text] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    entries.push([key, decodeValue(key, text, () => isSecret(fullKey))]);
  }
  // Object.fromEntries defines own properties, so a key named __proto__ stays visible to validation.
  return Object.fromEntries(entries);
}

function decodeValue(key: string, text: string, isSecret: () => boolean): unknown {
  if (/^\s*[[{]/.test(text)) {
    try {
      const value = JSON.parse(text) as unknown;
      return key === "dkim" ? withoutPrivateKeys(value, isSecret()) : value;
    } catch {
      // fall through: reported as the wrong type
    }
  }
  return BOOLEAN_KEYS.has(key) && (text === "true" || text === "false") ? text === "true" : text;
}

/** Drops `selectors.<name>.privateKey` unread, or marks it when it is stored in plain text. */
function withoutPrivateKeys(dkim: unknown, secret: boolean): unknown {
  if (!isRecord(dkim) || !isRecord(dkim["selectors"])) return dkim;
  const selectors = Object.entries(dkim["selectors"]).map(([name, entry]): [string, unknown] => {
    if (!isRecord(entry) || !Object.hasOwn(entry, "privateKey")) return [name, entry];
    const rest = Object.entries(entry).filter(([key]) => key !== "privateKey");
    return [name, Object.fromEntries(secret ? rest : [...rest, ["privateKey", PLAINTEXT_PRIVATE_KEY]])];
  });
  return { ...dkim, selectors: Object.fromEntries(selectors) };
}

// ---------------------------------------------------------------------------------------------------
// Messages.

/** `sender-auth:dkim.selectors.s1.status`, `sender-auth:spf.ip4[2]`, `sender-auth:dkim.selectors["a.b"]`. */
export function keyPath(path: readonly PropertyKey[], namespace: string = PROJECT): string {
  let out = namespace;
  path.forEach((segment, index) => {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const text = String(segment);
      if (index === 0) out += `:${text}`;
      else out += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(text) ? `.${text}` : `[${JSON.stringify(text)}]`;
    }
  });
  return out;
}

/** `dkim.selectors` and `dkim.removedSelectors` are keyed by selector name (`*` in ALLOWED). */
const isSelectorMap = (segment: PropertyKey | undefined): boolean =>
  segment === "selectors" || segment === "removedSelectors";

function allowedFor(path: readonly PropertyKey[]): string | undefined {
  const pattern = path
    .map((segment, index) =>
      typeof segment === "number" ? "[]" : index === 2 && isSelectorMap(path[1]) ? "*" : String(segment),
    )
    .join(".")
    .replace(/\.\[\]/g, "[]");
  return ALLOWED[pattern];
}

/** The keys an object at `path` may have, for "unknown key" messages. */
function knownKeysAt(path: readonly PropertyKey[]): string | undefined {
  const pattern = path
    .map((segment, index) => (index === 2 && isSelectorMap(path[1]) ? "*" : String(segment)))
    .join(".");
  const shapes: Readonly<Record<string, z.ZodObject>> = {
    "": stackSchema,
    dns: dnsSchema,
    spf: spfSchema,
    dkim: dkimSchema,
    "dkim.selectors.*": selectorSchema,
    dmarc: dmarcSchema,
  };
  const shape = shapes[pattern];
  return shape && Object.keys(shape.shape).join(", ");
}

/** A bad value as it appears in messages: JSON, shortened; never a private key written in the wrong place. */
export function showValue(value: unknown): string {
  // JSON.stringify returns undefined for undefined and functions, whatever its declared type says.
  const text = (JSON.stringify(value) as string | undefined) ?? String(value);
  if (/PRIVATE KEY-----/.test(text)) return "a PEM private key, not shown";
  if (typeof value === "string" && value.length > 72) return JSON.stringify(`${value.slice(0, 60)}...`);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A problem at `path` (below `sender-auth:`): what is wrong, the bad value if given, and what is allowed. */
export function problem(
  path: readonly PropertyKey[],
  what: string,
  value?: unknown,
  allowed = allowedFor(path),
): Problem {
  const got = value === undefined ? "" : ` (got ${showValue(value)})`;
  return { path: keyPath(path), message: `${what}${got}${allowed ? `; allowed: ${allowed}` : ""}` };
}

function fromIssue(issue: z.core.$ZodIssue): Problem[] {
  const input = "input" in issue ? issue.input : undefined;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => problem([...issue.path, key], "unknown key", undefined, knownKeysAt(issue.path)));
    case "invalid_type":
      if (input === undefined) return [problem(issue.path, "is required")];
      return [
        problem(
          issue.path,
          issue.expected === "int" ? "must be a whole number" : `must be ${article(issue.expected)}`,
          input,
        ),
      ];
    case "invalid_value":
      if (input === undefined) return [problem(issue.path, "is required")];
      return [problem(issue.path, "is not an allowed value", input)];
    case "too_small":
    case "too_big":
      return [problem(issue.path, "is out of range", input)];
    case "custom":
      return [problem(issue.path, issue.message, input)];
    default:
      return [problem(issue.path, issue.message, input)];
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
    `is a key name JavaScript gives every object, which could reach an object's prototype (prototype pollution); sender-auth refuses ${[...RESERVED_KEYS].join(", ")} as keys anywhere in its config: rename or remove it`,
    undefined,
    "",
  );
}

/**
 * The problem of a DKIM private key stored in plain text: how to store it as a secret instead, and that
 * the plain copy stays in git history until it is removed there. Never contains the key.
 */
export function plaintextPrivateKeyProblem(selector: string): Problem {
  const path = ["dkim", "selectors", selector, "privateKey"];
  return problem(
    path,
    `is stored in plain text: anyone who can read the stack file or its git history can sign mail as this domain. Store it as a secret by piping the PEM to \`pulumi config set --secret --path '${keyPath(path)}' < private-key.pem\` (the value is read from standard input, never put it on the command line), then remove the plain-text key from the git history (e.g. git filter-repo) and, if the repository was ever shared, rotate to a new selector (sender-auth rotate)`,
  );
}

const isPrivateKeyPath = (path: readonly PropertyKey[]): boolean =>
  path.length === 4 && path[0] === "dkim" && path[1] === "selectors" && path[3] === "privateKey";

/**
 * A copy of `raw` without reserved key names and without `dkim.selectors.<name>.privateKey` (which
 * reaches the plain config only when stored in plain text, see {@link decodeConfigMap}), and a problem
 * for each. Nothing after this sees those keys, so no check can index an object with them.
 */
function withoutRefusedKeys(raw: Record<string, unknown>): { clean: Record<string, unknown>; problems: Problem[] } {
  const problems: Problem[] = [];
  const copy = (value: unknown, path: readonly PropertyKey[]): unknown => {
    if (Array.isArray(value)) return value.map((item: unknown, index) => copy(item, [...path, index]));
    if (!isRecord(value)) return value;
    const kept: [string, unknown][] = [];
    for (const [key, entry] of Object.entries(value)) {
      const at = [...path, key];
      if (RESERVED_KEYS.has(key)) problems.push(reservedKeyProblem(at));
      else if (isPrivateKeyPath(at)) problems.push(plaintextPrivateKeyProblem(String(at[2])));
      else kept.push([key, copy(entry, at)]);
    }
    return Object.fromEntries(kept);
  };
  return { clean: copy(raw, []) as Record<string, unknown>, problems };
}

// ---------------------------------------------------------------------------------------------------
// Cross-field checks on the raw input, so they are reported together with the schema's findings.

/** Parsed DKIM keys by selector name, so each key is parsed once per validation. */
type KeyInfos = Map<string, DkimKeyInfo>;

function crossFieldProblems(raw: Record<string, unknown>, keys: KeyInfos): Problem[] {
  const problems: Problem[] = [];
  if (raw["parked"] === true) {
    for (const section of ["spf", "dkim", "dmarc"] as const) {
      if (raw[section] !== undefined) {
        problems.push(
          problem(
            [section],
            "is not allowed together with sender-auth:parked: true (a parked domain publishes its own SPF, DKIM and DMARC records); remove it or set parked: false",
            undefined,
            "",
          ),
        );
      }
    }
  }
  const spf = raw["spf"];
  if (isRecord(spf)) {
    if (spf["all"] !== undefined && spf["redirect"] !== undefined) {
      problems.push(
        problem(
          ["spf", "redirect"],
          "and sender-auth:spf.all are mutually exclusive, and cannot both be set: all ends evaluation, so a redirect beside it is ignored (RFC 7208 §6.1)",
          undefined,
          "",
        ),
      );
    }
    const list = (value: unknown): readonly string[] => (Array.isArray(value) ? (value as string[]) : []);
    const lookups = countSpfLookups({
      a: spf["a"] === true,
      mx: spf["mx"] === true,
      include: list(spf["include"]),
      exists: list(spf["exists"]),
      redirect: typeof spf["redirect"] === "string" ? spf["redirect"] : undefined,
    });
    if (lookups > SPF_MAX_LOOKUPS) {
      problems.push(
        problem(
          ["spf"],
          `needs ${lookups} DNS lookups before counting those inside its includes; RFC 7208 §4.6.4 allows at most ${SPF_MAX_LOOKUPS}, beyond which SPF fails with permerror`,
          undefined,
          `at most ${SPF_MAX_LOOKUPS} of a, mx, include, exists and redirect together`,
        ),
      );
    }
  }
  const dkim = raw["dkim"];
  const selectors = isRecord(dkim) ? dkim["selectors"] : undefined;
  if (isRecord(selectors)) {
    for (const [name, entry] of Object.entries(selectors)) {
      const nameProblem = selectorProblem(name);
      if (nameProblem !== undefined) {
        problems.push(
          problem(
            ["dkim", "selectors", name],
            `selector name ${nameProblem}`,
            name,
            "DNS labels of lower-case letters, digits and hyphens, e.g. s202611a",
          ),
        );
      }
      if (isRecord(entry)) for (const found of selectorKeyProblems(name, entry, keys)) problems.push(found);
    }
    problems.push(...lifecycleProblems(selectors));
  }
  if (isRecord(dkim)) for (const found of removedSelectorProblems(dkim)) problems.push(found);
  const dmarc = raw["dmarc"];
  const domain = raw["domain"];
  if (isRecord(dmarc) && typeof domain === "string" && Array.isArray(dmarc["authorizeReportsFor"])) {
    dmarc["authorizeReportsFor"].forEach((entry: unknown, index: number) => {
      if (entry === domain) {
        problems.push(
          problem(
            ["dmarc", "authorizeReportsFor", index],
            `is this stack's own domain; reports from ${domain} to ${domain} need no authorisation`,
            entry,
            "other domains whose reports this domain receives",
          ),
        );
      }
    });
  }
  return problems;
}

/**
 * `dkim.removedSelectors` (issue #11): valid selector names, none of them configured again, since a
 * name once bound to a key is never bound to another (RFC 6376 §3.1).
 */
function removedSelectorProblems(dkim: Record<string, unknown>): Problem[] {
  const removed = dkim["removedSelectors"];
  if (!isRecord(removed)) return [];
  const selectors = isRecord(dkim["selectors"]) ? dkim["selectors"] : {};
  return Object.entries(removed).flatMap(([name, removedOn]) => {
    const nameProblem = selectorProblem(name);
    return [
      ...(nameProblem === undefined
        ? []
        : [problem(["dkim", "removedSelectors", name], `selector name ${nameProblem}`, name, SELECTOR_NAMES)]),
      ...(Object.hasOwn(selectors, name)
        ? [
            problem(
              ["dkim", "selectors", name],
              `reuses the name of a selector removed on ${showValue(removedOn)} (sender-auth:dkim.removedSelectors); a selector name is never bound to another key, since receivers' caches and old signatures still refer to the old one (RFC 6376 §3.1)`,
              undefined,
              "a selector name not listed in sender-auth:dkim.removedSelectors",
            ),
          ]
        : []),
    ];
  });
}

const SELECTOR_NAMES = "DNS labels of lower-case letters, digits and hyphens, e.g. s202611a";

/**
 * A domain that has been signing (a `retired` selector still publishes the key of mail in flight)
 * must keep an `active` selector, or its mail goes out unsigned (issue #3).
 */
function lifecycleProblems(selectors: Record<string, unknown>): Problem[] {
  const status = (entry: unknown): unknown => (isRecord(entry) ? entry["status"] : undefined);
  const entries = Object.entries(selectors);
  if (entries.some(([, entry]) => status(entry) === "active")) return [];
  const retired = entries.filter(([, entry]) => status(entry) === "retired").map(([name]) => name);
  if (retired.length === 0) return [];
  const published = entries.filter(([, entry]) => status(entry) === "published").map(([name]) => name);
  return [
    problem(
      ["dkim", "selectors"],
      `has retired ${retired.join(", ")} but no active selector: mail would go out unsigned; ${
        published.length > 0
          ? `make ${published.join(" or ")} active (sender-auth rotate)`
          : "keep the newest key active until its successor is"
      }`,
      undefined,
      "at least one active selector while any selector is retired",
    ),
  ];
}

// ---------------------------------------------------------------------------------------------------
// Names records are published at, counted with the labels sender-auth adds (RFC 1035 §2.3.4): BIND and
// both providers refuse a longer name, so it is refused here first, at the key that makes it long.

/** How long `part` of `name` may be, given the rest of the name. */
const budget = (name: string, part: string): number => MAX_NAME_LENGTH - (name.length - part.length);
/** The shortest domain name sender-auth accepts (two one-letter labels, e.g. a.b). */
const SHORTEST_DOMAIN = 3;

function publishedNameProblems(raw: Record<string, unknown>): Problem[] {
  const domain = raw["domain"];
  if (typeof domain !== "string" || domainCheck(domain) !== undefined) return [];
  const problems: Problem[] = [];
  const dmarc = raw["dmarc"];
  const parked = raw["parked"] === true;
  // Names the domain alone makes too long, longest prefix first; one problem is enough.
  const fixed = [
    ...(parked ? [{ name: dkimRecordName("*", domain), what: "the revoked-key wildcard of a parked domain" }] : []),
    ...(parked || dmarc !== undefined ? [{ name: dmarcRecordName(domain), what: "the DMARC record" }] : []),
  ];
  const first = fixed.find(({ name }) => nameLengthProblem(name) !== undefined);
  if (first !== undefined) {
    problems.push(
      problem(
        ["domain"],
        `is ${domain.length} characters long, which makes the record name of ${first.what}, ${first.name}, ${nameLengthProblem(first.name) ?? ""}`,
        undefined,
        `a domain of at most ${budget(first.name, domain)} characters here`,
      ),
    );
  }
  const dkim = raw["dkim"];
  const selectors = isRecord(dkim) && isRecord(dkim["selectors"]) ? Object.keys(dkim["selectors"]) : [];
  for (const selector of selectors.filter((name) => selectorProblem(name) === undefined)) {
    const name = dkimRecordName(selector, domain);
    const length = nameLengthProblem(name);
    if (length === undefined) continue;
    const room = budget(name, selector);
    problems.push(
      problem(
        ["dkim", "selectors", selector],
        `makes the key record name ${name} ${length}`,
        undefined,
        room > 0
          ? `a selector of at most ${room} characters with this domain`
          : `none with this domain: with DKIM selectors sender-auth:domain has at most ${budget(dkimRecordName("s", domain), domain)} characters`,
      ),
    );
  }
  return isRecord(dmarc) ? [...problems, ...reportNameProblems(domain, dmarc)] : problems;
}

/** Authorisation names (RFC 7489 §7.1): those this stack publishes, and those its destinations must. */
function reportNameProblems(domain: string, dmarc: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const strings = (key: string): [number, string][] => {
    const list = dmarc[key];
    return Array.isArray(list)
      ? list.flatMap((value: unknown, index): [number, string][] => (typeof value === "string" ? [[index, value]] : []))
      : [];
  };
  for (const [index, authorized] of strings("authorizeReportsFor")) {
    if (domainCheck(authorized) !== undefined) continue;
    const name = reportAuthName(authorized, domain);
    const length = nameLengthProblem(name);
    if (length === undefined) continue;
    problems.push(
      problem(
        ["dmarc", "authorizeReportsFor", index],
        `makes the authorisation record name ${name} ${length}`,
        authorized,
        budget(name, authorized) >= SHORTEST_DOMAIN
          ? `a domain of at most ${budget(name, authorized)} characters with this domain`
          : `none with this domain: sender-auth:domain itself leaves no room for another domain in ${MAX_NAME_LENGTH} characters`,
      ),
    );
  }
  for (const tag of ["rua", "ruf"]) {
    for (const [index, uri] of strings(tag)) {
      const inspection = inspectMailto(uri);
      if (!inspection.ok || isWithinDomain(inspection.host, domain)) continue;
      const name = reportAuthName(domain, inspection.host);
      const length = nameLengthProblem(name);
      if (length === undefined) continue;
      problems.push(
        problem(
          ["dmarc", tag, index],
          `can never receive this domain's reports: receivers send them only after finding the authorisation record ${name} (RFC 7489 §7.1), and that name is ${length}`,
          uri,
          `a destination within this domain, or one whose authorisation record name fits in ${MAX_NAME_LENGTH} characters`,
        ),
      );
    }
  }
  return problems;
}

/** The provider's own rules for `sender-auth:dns`, applied whenever provider and zone ID are readable. */
function providerConfigProblems(raw: Record<string, unknown>): Problem[] {
  const dns = raw["dns"];
  if (!isRecord(dns) || typeof dns["zoneId"] !== "string") return [];
  const provider = DNS_PROVIDERS.find((kind) => kind === dns["provider"]);
  if (provider === undefined) return [];
  const ttl = dns["ttl"] ?? DEFAULT_TTL;
  return providerFor(provider)
    .configProblems({
      provider,
      zoneId: dns["zoneId"],
      ttl: typeof ttl === "number" && Number.isInteger(ttl) ? ttl : DEFAULT_TTL,
      preserveTxt: [],
    })
    .map((p) => problem(p.path, p.message, p.value, p.allowed));
}

function selectorKeyProblems(name: string, entry: Record<string, unknown>, keys: KeyInfos): Problem[] {
  const base = ["dkim", "selectors", name];
  const problems: Problem[] = [];
  const { publicKey, cname, status } = entry;
  if (publicKey !== undefined && cname !== undefined) {
    problems.push(
      problem(
        [...base, "cname"],
        "and publicKey are mutually exclusive, and cannot both be set: a CNAME selector's key is published by the provider it points at",
        undefined,
        "",
      ),
    );
  } else if (
    publicKey === undefined &&
    cname === undefined &&
    status !== "revoked" &&
    DKIM_STATUSES.some((s) => s === status)
  ) {
    problems.push(
      problem(
        base,
        `has status ${String(status)} but neither publicKey nor cname`,
        undefined,
        "publicKey (the key to publish) or cname (a provider-hosted key); only a revoked selector may have neither",
      ),
    );
  }
  const algorithm = entry["algorithm"] ?? "rsa";
  if (typeof publicKey === "string" && (algorithm === "rsa" || algorithm === "ed25519")) {
    const inspection = inspectDkimPublicKey(algorithm, publicKey);
    if (inspection.ok) keys.set(name, inspection.info);
    else problems.push(problem([...base, "publicKey"], inspection.problem, publicKey, inspection.allowed));
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Model and warnings.

function selectorModel(name: string, parsed: ParsedSelector, keys: KeyInfos): DkimSelectorConfig {
  return {
    name,
    status: parsed.status,
    algorithm: parsed.algorithm,
    publicKey: parsed.publicKey,
    key: keys.get(name),
    cname: parsed.cname,
    createdAt: parsed.createdAt,
    retiredAt: parsed.retiredAt,
  };
}

function toModel(parsed: ParsedStack, keys: KeyInfos): SenderAuthConfig {
  return {
    domain: parsed.domain,
    dns: parsed.dns,
    spf: parsed.spf && {
      ...parsed.spf,
      // RFC 7208 §4.7: with neither all nor redirect the default result is neutral; be explicit instead.
      all: parsed.spf.redirect === undefined ? (parsed.spf.all ?? "softfail") : undefined,
      redirect: parsed.spf.redirect,
    },
    dkim: parsed.dkim && {
      selectors: Object.keys(parsed.dkim.selectors)
        .sort()
        .map((name) => selectorModel(name, parsed.dkim?.selectors[name] as ParsedSelector, keys)),
      maxKeyAgeDays: parsed.dkim.maxKeyAgeDays,
    },
    dmarc: parsed.dmarc && {
      ...parsed.dmarc,
      subdomainPolicy: parsed.dmarc.subdomainPolicy,
      nonexistentSubdomainPolicy: parsed.dmarc.nonexistentSubdomainPolicy,
      percent: parsed.dmarc.percent,
      alignmentSPF: parsed.dmarc.alignmentSPF,
      alignmentDKIM: parsed.dmarc.alignmentDKIM,
      failureOptions: parsed.dmarc.failureOptions,
    },
    parked: parsed.parked,
  };
}

/** Whole days from `createdAt` to `now`, or undefined without a date. */
export function ageInDays(createdAt: string | undefined, now: Date): number | undefined {
  return createdAt === undefined ? undefined : Math.floor((now.getTime() - Date.parse(createdAt)) / DAY_MS);
}

/** The non-secret `dkimSelectors` output: what monitors need to check DKIM without guessing. */
export function selectorSummaries(config: SenderAuthConfig, now: Date): SelectorSummary[] {
  return (config.dkim?.selectors ?? []).map((selector) => {
    const ageDays = ageInDays(selector.createdAt, now);
    return {
      selector: selector.name,
      status: selector.status,
      ...(selector.key
        ? { algorithm: selector.key.algorithm, bits: selector.key.bits, fingerprint: selector.key.fingerprint }
        : {}),
      ...(selector.cname === undefined ? {} : { cname: selector.cname }),
      ...(selector.createdAt === undefined ? {} : { createdAt: selector.createdAt }),
      ...(selector.retiredAt === undefined ? {} : { retiredAt: selector.retiredAt }),
      ...(ageDays === undefined ? {} : { ageDays }),
    };
  });
}

function configWarnings(config: SenderAuthConfig, now: Date): string[] {
  const warnings: string[] = [];
  const { spf, dkim, dmarc, domain } = config;
  if (spf && spf.include.length > 0) {
    warnings.push(
      `sender-auth:spf.include: ${countSpfLookups(spf)} of ${SPF_MAX_LOOKUPS} DNS lookups are counted from config, but each include adds the lookups of its own record (RFC 7208 §4.6.4); \`sender-auth check\` counts the real total`,
    );
  }
  if (!spf && !config.parked && config.dns.preserveTxt.length > 0 && config.dns.provider === "route53") {
    warnings.push(
      "sender-auth:dns.preserveTxt: has no effect without sender-auth:spf: sender-auth manages no TXT record at the apex",
    );
  }
  for (const selector of dkim?.selectors ?? []) {
    if (
      selector.key &&
      selector.key.algorithm === "rsa" &&
      selector.key.bits < RSA_RECOMMENDED_BITS &&
      selector.status !== "revoked"
    ) {
      warnings.push(
        `${keyPath(["dkim", "selectors", selector.name, "publicKey"])}: ${selector.key.bits}-bit RSA key; RFC 8301 §3.2 says signers SHOULD use at least ${RSA_RECOMMENDED_BITS} bits: rotate to a new selector with a 2048-bit key`,
      );
    }
  }
  if (dkim) {
    for (const selector of dkim.selectors) {
      const age = ageInDays(selector.createdAt, now);
      if (selector.status === "active" && age !== undefined && age > dkim.maxKeyAgeDays) {
        warnings.push(
          `${keyPath(["dkim", "selectors", selector.name])}: the active key is ${age} days old, over sender-auth:dkim.maxKeyAgeDays (${dkim.maxKeyAgeDays}); rotate it (sender-auth rotate)`,
        );
      }
    }
    const keyed = dkim.selectors.filter((s) => s.status !== "revoked");
    if (keyed.length > 0 && !keyed.some((s) => s.status === "active")) {
      warnings.push(
        `sender-auth:dkim.selectors: no selector is active, so mail is not signed yet; once DNS serves ${keyed.map((s) => s.name).join(", ")}, make one active (sender-auth rotate)`,
      );
    }
  }
  const signsWith = (algorithm: string): boolean =>
    (dkim?.selectors ?? []).some((s) => s.status !== "revoked" && s.key?.algorithm === algorithm);
  if (signsWith("ed25519") && !signsWith("rsa")) {
    warnings.push(
      "sender-auth:dkim.selectors: Ed25519 keys are published but no RSA key; many receivers cannot verify Ed25519 (RFC 8463), so sign with an RSA selector too",
    );
  }
  if (dmarc) {
    if (dmarc.percent !== undefined) {
      warnings.push(
        "sender-auth:dmarc.percent: pct= comes from RFC 7489 and was removed by RFC 9989, whose receivers ignore it; to stage enforcement use testing: true (t=y) instead",
      );
    }
    if (dmarc.testing && dmarc.policy === "none") {
      warnings.push(
        "sender-auth:dmarc.testing: t=y has no effect with policy none; it only softens quarantine and reject",
      );
    }
    if (dmarc.policy === "none" && dmarc.rua.length === 0) {
      warnings.push(
        "sender-auth:dmarc.rua: policy none with no rua: monitoring mode without aggregate reports tells nobody anything",
      );
    }
    if (dmarc.failureOptions.length > 0 && dmarc.ruf.length === 0) {
      warnings.push("sender-auth:dmarc.failureOptions: fo= only applies to failure reports, and no ruf is set");
    }
    for (const tag of ["rua", "ruf"] as const) {
      dmarc[tag].forEach((uri, index) => {
        const inspection = inspectMailto(uri);
        if (!inspection.ok) return;
        if (inspection.sizeLimit !== undefined) {
          warnings.push(
            `${keyPath(["dmarc", tag, index])}: the !${inspection.sizeLimit} size limit is obsolete under RFC 9989 and ignored by its receivers`,
          );
        }
        if (!isWithinDomain(inspection.host, domain)) {
          warnings.push(
            `${keyPath(["dmarc", tag, index])}: ${uri} is outside ${domain}: receivers send reports there only if ${inspection.host} publishes TXT "v=DMARC1" at ${reportAuthName(domain, inspection.host)} (RFC 7489 §7.1)`,
          );
        }
      });
    }
  }
  return warnings;
}

// ---------------------------------------------------------------------------------------------------
// Private keys, read only from the secret config (issue #3).

/** `selectors.<name>.privateKey` values of the decrypted, secret `sender-auth:dkim` object. */
export function privateKeysOf(secretDkim: unknown): Map<string, unknown> {
  const keys = new Map<string, unknown>();
  const selectors = isRecord(secretDkim) ? secretDkim["selectors"] : undefined;
  if (!isRecord(selectors)) return keys;
  for (const [name, entry] of Object.entries(selectors)) {
    if (isRecord(entry) && entry["privateKey"] !== undefined) keys.set(name, entry["privateKey"]);
  }
  return keys;
}

/**
 * Every stored private key must be the private half of the key its selector publishes. Messages name
 * the selector and compare public-key fingerprints; they never contain key material.
 */
export function privateKeyProblems(config: SenderAuthConfig, privateKeys: ReadonlyMap<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  for (const [name, pem] of privateKeys) {
    const path = ["dkim", "selectors", name, "privateKey"];
    const selector = config.dkim?.selectors.find((s) => s.name === name);
    if (selector === undefined) {
      problems.push(
        problem(path, "belongs to no configured selector: remove it with `pulumi config rm --path`", undefined, ""),
      );
      continue;
    }
    if (typeof pem !== "string") {
      problems.push(problem(path, "must be a PEM private key", undefined));
      continue;
    }
    let derived: ReturnType<typeof publicKeyOf>;
    try {
      derived = publicKeyOf(pem);
    } catch (error) {
      problems.push(problem(path, error instanceof Error ? error.message : "is not a private key"));
      continue;
    }
    if (selector.cname !== undefined) {
      problems.push(
        problem(path, "is set on a cname selector, whose key the provider holds: remove it", undefined, ""),
      );
    } else if (derived.algorithm !== selector.algorithm) {
      problems.push(
        problem(path, `is an ${derived.algorithm} key but the selector's algorithm is ${selector.algorithm}`),
      );
    } else if (selector.publicKey !== undefined && derived.publicKey !== selector.publicKey) {
      const inspection = inspectDkimPublicKey(derived.algorithm, derived.publicKey);
      const derivedPrint = inspection.ok ? inspection.info.fingerprint.slice(0, 16) : "?";
      problems.push(
        problem(
          path,
          `does not match its publicKey: the private key's public half has SHA-256 ${derivedPrint}…, publicKey has ${selector.key?.fingerprint.slice(0, 16) ?? "?"}…`,
        ),
      );
    }
  }
  return problems;
}

/** Active selectors' private keys, for mail servers that read stack outputs (`signingKeys`). */
export function signingKeysOf(
  config: SenderAuthConfig,
  privateKeys: ReadonlyMap<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const selector of config.dkim?.selectors ?? []) {
    const pem = privateKeys.get(selector.name);
    if (selector.status === "active" && typeof pem === "string") out[selector.name] = pem;
  }
  return out;
}

/**
 * Validates one stack's configuration and builds its records, or throws {@link ConfigError} listing
 * every problem. `input` is the decoded `sender-auth:*` config ({@link decodeConfigMap}).
 */
export function validateStack(stack: string, input: Record<string, unknown>, now: Date = new Date()): ValidatedStack {
  const { clean: raw, problems: refused } = withoutRefusedKeys(input);
  const result = stackSchema.safeParse(raw, { reportInput: true });
  const keys: KeyInfos = new Map();
  // Array spreads, not push(...): a hostile list can hold more problems than a call has arguments.
  const problems = [
    ...refused,
    ...(result.success ? [] : result.error.issues.flatMap(fromIssue)),
    ...crossFieldProblems(raw, keys),
    ...publishedNameProblems(raw),
    ...providerConfigProblems(raw),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(stack, reportable(problems));

  const config = toModel(result.data, keys);
  const built = buildRecords(config);
  const rules = providerFor(config.dns.provider);
  const audit = rules.audit(config, built.records);
  if (audit.problems.length > 0) {
    throw new ConfigError(
      stack,
      audit.problems.map((p) => problem(p.path, p.message, p.value, p.allowed ?? allowedFor(p.path))),
    );
  }
  return {
    stack,
    config,
    records: built.records,
    warnings: [...configWarnings(config, now), ...built.warnings, ...audit.warnings],
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
