/**
 * fast-check generators of stack configs for the property tests (issue #11): `validStack` aims at
 * configs validation accepts (names near the 253-character limit, long TXT values, many preserved
 * values, every selector kind), `mutatedStack` breaks one of them anywhere (wrong types, non-finite
 * numbers, missing or unknown keys, reserved key names, plain-text private keys), and `stackFileText`
 * writes either as a stack file, optionally with a key spelled twice.
 *
 * Every run prints its seed on failure (fast-check's report); FC_SEED, FC_PATH and FC_RUNS replay it.
 */
import fc from "fast-check";
import { stringify as stringifyYaml } from "yaml";
import { isRecord } from "../../components/model";
import { DKIM_ALGORITHMS } from "../../components/sections/dkim";
import { DMARC_ALIGNMENTS, DMARC_POLICIES } from "../../components/sections/dmarc";
import { SPF_ALL_VALUES } from "../../components/sections/spf";
import { fixtureKey, type FixtureKeyName } from "./fixtures";

/** Run parameters: `numRuns` unless FC_RUNS says otherwise; FC_SEED and FC_PATH replay a reported failure. */
export function runParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env["FC_SEED"];
  const path = process.env["FC_PATH"];
  const runs = process.env["FC_RUNS"];
  return {
    numRuns: runs === undefined ? numRuns : Number(runs),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}

const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789".split("");
const LDH = [...ALNUM, "-"];

/** An LDH label of 1 to `max` characters, not starting or ending with a hyphen. */
const label = (max: number): fc.Arbitrary<string> =>
  fc
    .string({ unit: fc.constantFrom(...LDH), minLength: 1, maxLength: max })
    .map((text) => text.replace(/^-/, "a").replace(/-$/, "z"));

/** A top-level label that is not all digits (that would look like an IP address). */
const tld = label(12).map((text) => (/^[0-9-]+$/.test(text) ? `x${text.slice(1)}` : text));

/** A domain of a few short labels, or one built up to near (and past) the 253-character limit. */
export const domainName: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.array(label(20), { minLength: 1, maxLength: 3 }), tld).map(join) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 200, max: 253 }), fc.array(label(63), { minLength: 4, maxLength: 8 }), tld)
      .map(([length, labels, top]) => {
        let name = top;
        for (const next of labels) {
          if (name.length + 1 + next.length > length) break;
          name = `${next}.${name}`;
        }
        // Fill up to exactly `length`: the boundaries are where names get refused.
        while (name.length < length - 1) {
          const room = length - name.length - 1;
          name = `${"q".repeat(room === 64 ? 62 : Math.min(63, room))}.${name}`;
        }
        return name;
      }),
  },
);

function join([labels, top]: [string[], string]): string {
  return [...labels, top].join(".");
}

/** A host name SPF or a CNAME selector may point at (service labels allowed). */
const hostName: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom("", "_spf.", "_dkim."), domainName)
  .map(([prefix, name]) => `${prefix}${name}`);

/** TXT text sender-auth accepts: printable ASCII without `"` or `\`, up to 600 characters. */
const txtValue: fc.Arbitrary<string> = fc
  .string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    minLength: 1,
    maxLength: 600,
  })
  .map((text) => text.replace(/["\\]/g, "_"))
  .filter((text) => !/^v=spf1(?: |$)/i.test(text));

const RSA_KEYS: readonly FixtureKeyName[] = ["rsa-1024", "rsa-2048", "rsa-2048-b", "rsa-3072", "rsa-4096"];

const selectorEntry: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc
    .tuple(fc.constantFrom("active", "published", "retired", "revoked"), fc.constantFrom(...RSA_KEYS))
    .map(([status, key]) => ({ status, publicKey: fixtureKey(key).publicKey })),
  fc
    .constantFrom("active", "published", "revoked")
    .map((status) => ({ status, algorithm: "ed25519", publicKey: fixtureKey("ed25519").publicKey })),
  fc.tuple(fc.constantFrom("active", "published"), hostName).map(([status, cname]) => ({ status, cname })),
  fc.constant({ status: "revoked" }),
);

/** Selector names: date-like, short, long (up to 63) or dotted. */
const selectorName: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 0, max: 9999 }).map((n) => `s${n}`),
  label(63),
  fc.tuple(label(10), label(10)).map(([a, b]) => `${a}.${b}`),
);

const dkimSection = fc.dictionary(selectorName, selectorEntry, { minKeys: 1, maxKeys: 4 }).map((selectors) => {
  // A retired key needs an active successor (mail would go out unsigned otherwise).
  const entries = Object.values(selectors);
  if (entries.some((s) => s["status"] === "retired") && !entries.some((s) => s["status"] === "active")) {
    const first = entries.find((s) => s["cname"] !== undefined || s["publicKey"] !== undefined);
    if (first !== undefined) first["status"] = "active";
  }
  return { selectors };
});

const spfSection = fc
  .record(
    {
      ip4: fc.uniqueArray(fc.ipV4(), { maxLength: 4 }),
      ip6: fc.uniqueArray(fc.ipV6(), { maxLength: 2 }),
      a: fc.boolean(),
      mx: fc.boolean(),
      include: fc.uniqueArray(hostName, { maxLength: 4 }),
      all: fc.constantFrom(...SPF_ALL_VALUES),
    },
    { requiredKeys: ["all"] },
  )
  .chain((spf) =>
    fc.option(hostName, { nil: undefined }).map((redirect) => {
      if (redirect === undefined) return spf;
      // redirect= replaces all (RFC 7208 §6.1).
      return { ...Object.fromEntries(Object.entries(spf).filter(([key]) => key !== "all")), redirect };
    }),
  );

const mailto = (domain: string): fc.Arbitrary<string> =>
  fc.tuple(label(20), fc.oneof(fc.constant(domain), domainName)).map(([local, host]) => `mailto:${local}@${host}`);

const dmarcSection = (domain: string) =>
  fc.record(
    {
      policy: fc.constantFrom(...DMARC_POLICIES),
      subdomainPolicy: fc.constantFrom(...DMARC_POLICIES),
      nonexistentSubdomainPolicy: fc.constantFrom(...DMARC_POLICIES),
      testing: fc.boolean(),
      rua: fc.uniqueArray(mailto(domain), { maxLength: 3 }),
      ruf: fc.uniqueArray(mailto(domain), { maxLength: 2 }),
      alignmentSPF: fc.constantFrom(...DMARC_ALIGNMENTS),
      alignmentDKIM: fc.constantFrom(...DMARC_ALIGNMENTS),
      failureOptions: fc.uniqueArray(fc.constantFrom("0", "1", "d", "s"), { maxLength: 2 }),
      authorizeReportsFor: fc.uniqueArray(
        domainName.filter((name) => name !== domain),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: ["policy"] },
  );

const dnsSection = fc.oneof(
  fc.record({
    provider: fc.constant("cloudflare"),
    zoneId: fc.string({ unit: fc.constantFrom(..."0123456789abcdef".split("")), minLength: 32, maxLength: 32 }),
    ttl: fc.oneof(fc.constant(1), fc.integer({ min: 60, max: 86400 })),
    preserveTxt: fc.uniqueArray(txtValue, { maxLength: 6 }),
  }),
  fc.record({
    provider: fc.constant("route53"),
    zoneId: fc.string({
      unit: fc.constantFrom(..."0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".split("")),
      minLength: 14,
      maxLength: 21,
    }),
    ttl: fc.integer({ min: 0, max: 2147483647 }),
    preserveTxt: fc.oneof(
      fc.uniqueArray(txtValue, { maxLength: 6 }),
      // Around Route53's 500 values per record set.
      fc.integer({ min: 495, max: 505 }).map((count) => Array.from({ length: count }, (_, i) => `token-${i}`)),
    ),
  }),
);

/** The decoded `sender-auth:*` config of a stack validation should mostly accept. */
export const validStack: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(domainName, dnsSection, fc.boolean())
  .chain(([domain, dns, parked]): fc.Arbitrary<Record<string, unknown>> =>
    parked
      ? fc.constant({ domain, dns, parked: true })
      : fc
          .record({ spf: spfSection, dkim: dkimSection, dmarc: dmarcSection(domain) }, { requiredKeys: [] })
          .map((sections) => ({ domain, dns, ...sections })),
  );

/** Values a mutation puts anywhere, including what YAML or JSON cannot carry. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  domainName,
  fc.constantFrom(...DKIM_ALGORITHMS, "xn--zz.com", "Example.COM", "a..b", "", " "),
);

type Path = (string | number)[];

/** Every path to a value inside `value` (objects and lists), the root excluded. */
function pathsIn(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) {
    return value.flatMap((item: unknown, index) => [[...at, index], ...pathsIn(item, [...at, index])]);
  }
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, item]) => [[...at, key], ...pathsIn(item, [...at, key])]);
}

/** A deep copy in which the container at `path` gets `key` set to `next` (own property, even `__proto__`). */
function withValueAt(value: unknown, path: Path, next: unknown, remove: boolean): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (Array.isArray(value)) {
    const copy = [...(value as unknown[])];
    if (rest.length > 0) copy[Number(head)] = withValueAt(copy[Number(head)], rest, next, remove);
    else if (remove) copy.splice(Number(head), 1);
    else copy[Number(head)] = next;
    return copy;
  }
  if (!isRecord(value)) return value;
  const entries = Object.entries(value).filter(([key]) => !(rest.length === 0 && remove && key === head));
  const replaced = entries.map(([key, item]): [string, unknown] =>
    key === String(head) ? [key, rest.length > 0 ? withValueAt(item, rest, next, remove) : next] : [key, item],
  );
  if (rest.length === 0 && !remove && !Object.hasOwn(value, String(head))) replaced.push([String(head), next]);
  return Object.fromEntries(replaced);
}

type Mutation =
  | { readonly kind: "set"; readonly at: number; readonly value: unknown }
  | { readonly kind: "remove"; readonly at: number }
  | { readonly kind: "add"; readonly at: number; readonly key: string; readonly value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant("remove" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("add" as const),
    at: fc.nat(),
    key: fc.constantFrom("__proto__", "constructor", "prototype", "privateKey", "colour", "ttl"),
    value: fc.oneof(anyValue, fc.constant("-----BEGIN PRIVATE KEY-----\nTESTONLY\n-----END PRIVATE KEY-----\n")),
  }),
);

function mutate(raw: Record<string, unknown>, change: Mutation): Record<string, unknown> {
  const paths = pathsIn(raw);
  if (change.kind === "add") {
    // Add beside any existing value, or at the top.
    const containers = [[], ...paths.filter((path) => isRecord(valueAt(raw, path)))];
    const parent = containers[change.at % containers.length] ?? [];
    return withValueAt(raw, [...parent, change.key], change.value, false) as Record<string, unknown>;
  }
  const path = paths[change.at % Math.max(1, paths.length)];
  if (path === undefined) return raw;
  return withValueAt(raw, path, change.kind === "set" ? change.value : undefined, change.kind === "remove") as Record<
    string,
    unknown
  >;
}

function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (current, key) =>
      Array.isArray(current) || isRecord(current) ? (current as Record<string, unknown>)[key] : undefined,
    value,
  );
}

/** A valid-looking stack with one to three mutations applied anywhere. */
export const mutatedStack: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(validStack, fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([raw, changes]) => changes.reduce(mutate, raw));

/** Either kind, mostly valid, so accepted and rejected configs both get many runs. */
export const anyStack: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 2, arbitrary: validStack },
  { weight: 1, arbitrary: mutatedStack },
);

/** The config map Pulumi hands the program: one string per `sender-auth:` key, structured values as JSON. */
export function configMapOf(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).map(([key, value]) => [
      `sender-auth:${key}`,
      typeof value === "string" ? value : ((JSON.stringify(value) as string | undefined) ?? String(value)),
    ]),
  );
}

/** File-level changes a stack file may carry besides its values. */
export interface FileChanges {
  /** Also write this key without its namespace (`domain:` beside `sender-auth:domain:`). */
  readonly bareDuplicate: string | undefined;
}

export const fileChanges: fc.Arbitrary<FileChanges> = fc.record({
  bareDuplicate: fc.option(fc.constantFrom("domain", "dns", "dkim", "parked"), { nil: undefined }),
});

/** `raw` written as a stack file (`config:` with `sender-auth:` keys), with `changes` applied. */
export function stackFileText(raw: Record<string, unknown>, changes: FileChanges): string {
  const entries: [string, unknown][] = Object.entries(raw).map(([key, value]) => [`sender-auth:${key}`, value]);
  const bare = changes.bareDuplicate;
  if (bare !== undefined && Object.hasOwn(raw, bare)) entries.push([bare, raw[bare]]);
  return stringifyYaml({ config: Object.fromEntries(entries) });
}
