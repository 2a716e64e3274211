/**
 * The DKIM family (RFC 6376, RFC 8301, RFC 8463): `sender-auth:dkim` publishes one key record per
 * selector at `<selector>._domainkey.<domain>` (a key, a revocation, or a CNAME to an email provider's
 * key), and the program checks the selectors' private keys in the secret config. A parked domain
 * revokes every selector with one wildcard record.
 */
import type { z } from "zod";
import { keyPath } from "../../keyPath";
import { isRecord, type DnsRecord } from "../../model";
import { showValue, type KeyProblem } from "../../problems";
import { lengthBudget, nameLengthProblem, selectorProblem } from "../../records/names";
import type { Resolved } from "../fields";
import type { RawStack, Section, ValidationContext } from "../types";
import type * as DkimCheck from "./check";
import type * as DkimDiff from "./diff";
import {
  isPrivateKeyPath,
  plaintextPrivateKey,
  privateKeyProblems,
  privateKeysOf,
  signingKeysOf,
  withoutPrivateKeys,
} from "./keys";
import { buildDkimValue, dkimRecordName, inspectDkimPublicKey, REVOKED_DKIM, RSA_RECOMMENDED_BITS } from "./records";
import { DKIM_ALGORITHMS, DKIM_ALLOWED, DKIM_STATUSES, dkimSchema, SELECTOR_NAMES, type DkimAlgorithm } from "./schema";
import {
  ageInDays,
  ED25519_ONLY_WARNING,
  publishesEd25519Only,
  selectorOf,
  selectorSummary,
  type DkimSelector,
  type SelectorSummary,
} from "./selectors";

export type { DkimKeyInfo } from "./records";
export { DKIM_ALGORITHMS, DKIM_STATUSES, dkimSchema, type DkimAlgorithm, type DkimStatus } from "./schema";
export type { DkimSelector, SelectorInFile, SelectorSummary } from "./selectors";

export type DkimConfig = Omit<Resolved<z.output<typeof dkimSchema>>, "selectors"> & {
  /** Sorted by name, so record order never depends on YAML key order. */
  readonly selectors: readonly DkimSelector[];
};

/** A configured key parsed, once per validation whoever asks first (a check or the model). */
const inspectKey = (context: ValidationContext, algorithm: DkimAlgorithm, publicKey: string) =>
  context.memo(`dkim ${algorithm} ${publicKey}`, () => inspectDkimPublicKey(algorithm, publicKey));

/** A selector's key fields: publicKey or cname (one, not both), and a key verifiers can read. */
function selectorKeyProblems(name: string, entry: Record<string, unknown>, context: ValidationContext): KeyProblem[] {
  const base = ["dkim", "selectors", name];
  const problems: KeyProblem[] = [];
  const { publicKey, cname, status } = entry;
  if (publicKey !== undefined && cname !== undefined) {
    problems.push({
      path: [...base, "cname"],
      message:
        "and publicKey are mutually exclusive, and cannot both be set: a CNAME selector's key is published " +
        "by the provider it points at",
      allowed: "",
    });
  } else if (
    publicKey === undefined &&
    cname === undefined &&
    status !== "revoked" &&
    DKIM_STATUSES.some((s) => s === status)
  ) {
    problems.push({
      path: base,
      message: `has status ${String(status)} but neither publicKey nor cname`,
      allowed:
        "publicKey (the key to publish) or cname (a provider-hosted key); only a revoked selector may have neither",
    });
  }
  const algorithm = DKIM_ALGORITHMS.find((a) => a === (entry["algorithm"] ?? "rsa"));
  if (typeof publicKey === "string" && algorithm !== undefined) {
    const inspection = inspectKey(context, algorithm, publicKey);
    if (!inspection.ok) {
      problems.push({
        path: [...base, "publicKey"],
        message: inspection.problem,
        value: publicKey,
        allowed: inspection.allowed,
      });
    }
  }
  return problems;
}

/**
 * A domain that has been signing (a `retired` selector still publishes the key of mail in flight)
 * must keep an `active` selector, or its mail goes out unsigned (issue #3).
 */
function lifecycleProblems(selectors: Record<string, unknown>): KeyProblem[] {
  const status = (entry: unknown): unknown => (isRecord(entry) ? entry["status"] : undefined);
  const entries = Object.entries(selectors);
  if (entries.some(([, entry]) => status(entry) === "active")) return [];
  const retired = entries.filter(([, entry]) => status(entry) === "retired").map(([name]) => name);
  if (retired.length === 0) return [];
  const published = entries.filter(([, entry]) => status(entry) === "published").map(([name]) => name);
  const next =
    published.length > 0
      ? `make ${published.join(" or ")} active (sender-auth rotate)`
      : "keep the newest key active until its successor is";
  return [
    {
      path: ["dkim", "selectors"],
      message: `has retired ${retired.join(", ")} but no active selector: mail would go out unsigned; ${next}`,
      allowed: "at least one active selector while any selector is retired",
    },
  ];
}

/**
 * `dkim.removedSelectors` (issue #11): valid selector names, none of them configured again, since a
 * name once bound to a key is never bound to another (RFC 6376 §3.1).
 */
function removedSelectorProblems(dkim: Record<string, unknown>): KeyProblem[] {
  const removed = dkim["removedSelectors"];
  if (!isRecord(removed)) return [];
  const selectors = isRecord(dkim["selectors"]) ? dkim["selectors"] : {};
  return Object.entries(removed).flatMap(([name, removedOn]): KeyProblem[] => {
    const nameProblem = selectorProblem(name);
    return [
      ...(nameProblem === undefined
        ? []
        : [
            {
              path: ["dkim", "removedSelectors", name],
              message: `selector name ${nameProblem}`,
              value: name,
              allowed: SELECTOR_NAMES,
            },
          ]),
      ...(Object.hasOwn(selectors, name)
        ? [
            {
              path: ["dkim", "selectors", name],
              message:
                `reuses the name of a selector removed on ${showValue(removedOn)} ` +
                "(sender-auth:dkim.removedSelectors); a selector name is never bound to another key, since " +
                "receivers' caches and old signatures still refer to the old one (RFC 6376 §3.1)",
              allowed: "a selector name not listed in sender-auth:dkim.removedSelectors",
            },
          ]
        : []),
    ];
  });
}

function dkimProblems(dkim: Record<string, unknown>, context: ValidationContext): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const selectors = dkim["selectors"];
  if (isRecord(selectors)) {
    for (const [name, entry] of Object.entries(selectors)) {
      const nameProblem = selectorProblem(name);
      if (nameProblem !== undefined) {
        problems.push({
          path: ["dkim", "selectors", name],
          message: `selector name ${nameProblem}`,
          value: name,
          allowed: SELECTOR_NAMES,
        });
      }
      if (isRecord(entry)) problems.push(...selectorKeyProblems(name, entry, context));
    }
    problems.push(...lifecycleProblems(selectors));
  }
  return [...problems, ...removedSelectorProblems(dkim)];
}

/** Key record names its selectors make too long with this domain (RFC 1035 §2.3.4). */
function selectorNameProblems(raw: RawStack, domain: string): KeyProblem[] {
  const dkim = raw["dkim"];
  const selectors = isRecord(dkim) && isRecord(dkim["selectors"]) ? Object.keys(dkim["selectors"]) : [];
  return selectors
    .filter((selector) => selectorProblem(selector) === undefined)
    .flatMap((selector): KeyProblem[] => {
      const name = dkimRecordName(selector, domain);
      const length = nameLengthProblem(name);
      if (length === undefined) return [];
      const room = lengthBudget(name, selector);
      const domainRoom = lengthBudget(dkimRecordName("s", domain), domain);
      return [
        {
          path: ["dkim", "selectors", selector],
          message: `makes the key record name ${name} ${length}`,
          allowed:
            room > 0
              ? `a selector of at most ${room} characters with this domain`
              : `none with this domain: with DKIM selectors sender-auth:domain has at most ${domainRoom} characters`,
        },
      ];
    });
}

function selectorRecord(selector: DkimSelector, domain: string, ttl: number): DnsRecord | undefined {
  const base = {
    id: `dkim-${selector.name}`,
    name: dkimRecordName(selector.name, domain),
    ttl,
    purpose: "dkim" as const,
    selector: selector.name,
    path: ["dkim", "selectors", selector.name, "publicKey"],
  };
  if (selector.status === "revoked") return { ...base, type: "TXT", value: REVOKED_DKIM };
  if (selector.cname !== undefined) return { ...base, type: "CNAME", value: selector.cname };
  if (selector.publicKey !== undefined) {
    return { ...base, type: "TXT", value: buildDkimValue(selector.algorithm, selector.publicKey) };
  }
  return undefined;
}

function dkimWarnings(dkim: DkimConfig, now: Date): string[] {
  const warnings: string[] = [];
  for (const selector of dkim.selectors) {
    if (
      selector.key?.algorithm === "rsa" &&
      selector.key.bits < RSA_RECOMMENDED_BITS &&
      selector.status !== "revoked"
    ) {
      warnings.push(
        `${keyPath(["dkim", "selectors", selector.name, "publicKey"])}: ${selector.key.bits}-bit RSA key; ` +
          `RFC 8301 §3.2 says signers SHOULD use at least ${RSA_RECOMMENDED_BITS} bits: rotate to a new selector ` +
          "with a 2048-bit key",
      );
    }
  }
  for (const selector of dkim.selectors) {
    const age = ageInDays(selector.createdAt, now);
    if (selector.status === "active" && age !== undefined && age > dkim.maxKeyAgeDays) {
      warnings.push(
        `${keyPath(["dkim", "selectors", selector.name])}: the active key is ${age} days old, over ` +
          `sender-auth:dkim.maxKeyAgeDays (${dkim.maxKeyAgeDays}); rotate it (sender-auth rotate)`,
      );
    }
  }
  const keyed = dkim.selectors.filter((s) => s.status !== "revoked");
  if (keyed.length > 0 && !keyed.some((s) => s.status === "active")) {
    warnings.push(
      `sender-auth:dkim.selectors: no selector is active, so mail is not signed yet; once DNS serves ` +
        `${keyed.map((s) => s.name).join(", ")}, make one active (sender-auth rotate)`,
    );
  }
  if (publishesEd25519Only(dkim.selectors)) warnings.push(ED25519_ONLY_WARNING);
  return warnings;
}

export const dkim: Section<{
  key: "dkim";
  schema: typeof dkimSchema;
  model: DkimConfig;
  purpose: "dkim";
  outputs: { readonly dkimSelectors: readonly SelectorSummary[] };
  secrets: "signingKeys";
}> = {
  key: "dkim",
  title: "DKIM",
  required: false,
  schema: dkimSchema,
  allowed: DKIM_ALLOWED,

  decode: withoutPrivateKeys,
  refused: (path) => (isPrivateKeyPath(path) ? plaintextPrivateKey(String(path[2])) : undefined),
  problems: (raw, context) => (isRecord(raw["dkim"]) ? dkimProblems(raw["dkim"], context) : []),
  fixedNames: (raw, domain) =>
    raw["parked"] === true
      ? [{ name: dkimRecordName("*", domain), what: "the revoked-key wildcard of a parked domain" }]
      : [],
  nameProblems: selectorNameProblems,

  model: (parsed, context) => ({
    ...parsed,
    selectors: Object.keys(parsed.selectors)
      .sort()
      .map((name) => {
        const fields = parsed.selectors[name] as z.output<typeof dkimSchema>["selectors"][string];
        const inspection =
          fields.publicKey === undefined ? undefined : inspectKey(context, fields.algorithm, fields.publicKey);
        return selectorOf(name, fields, inspection?.ok === true ? inspection.info : undefined);
      }),
  }),

  warnings: ({ dkim }, _records, now) => (dkim === undefined ? [] : dkimWarnings(dkim, now)),

  records({ dkim, domain, dns }) {
    const records = (dkim?.selectors ?? []).flatMap((selector) => selectorRecord(selector, domain, dns.ttl) ?? []);
    return { records };
  },

  // A wildcard revocation answers every selector a forger might try (RFC 6376 §3.6.1: empty p=).
  parked: ({ domain, dns }) => ({
    records: [
      {
        id: "dkim-wildcard",
        name: dkimRecordName("*", domain),
        type: "TXT",
        ttl: dns.ttl,
        value: REVOKED_DKIM,
        purpose: "dkim",
        selector: "*",
        path: ["dkim"],
      },
    ],
  }),

  outputs: (config, now) => ({
    dkimSelectors: (config.dkim?.selectors ?? []).map((selector) => selectorSummary(selector, now)),
  }),

  secrets: {
    problems: (secret, config) => privateKeyProblems(config, privateKeysOf(secret)),
    outputs: { signingKeys: (secret, config) => signingKeysOf(config, privateKeysOf(secret)) },
  },

  diff() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `diff` only, never by the program
    return (require("./diff") as typeof DkimDiff).dkimDiff;
  },

  check() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by `check` only, never by the program
    return (require("./check") as typeof DkimCheck).dkimCheck;
  },
};
