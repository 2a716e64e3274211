/**
 * The one shape of a DKIM selector, and the views of it: the validated model, a selector as a stack
 * file holds it (read without validation by keygen, rotate and export), and the `dkimSelectors` stack
 * output. Pure.
 */
import type { z } from "zod";
import { DAY_MS } from "../../clock";
import type { Resolved } from "../fields";
import { inspectDkimPublicKey, type DkimKeyInfo } from "./records";
import { selectorSchema, type DkimAlgorithm, type DkimStatus } from "./schema";

/** A selector: its config fields (from the schema), its name and the facts of its key. */
export type DkimSelector = Resolved<z.output<typeof selectorSchema>> & {
  readonly name: string;
  /** The parsed publicKey; undefined without one or when it does not parse. */
  readonly key: DkimKeyInfo | undefined;
};

/** A selector as a stack file holds it, unvalidated: its status may be no status at all. */
export type SelectorInFile = Omit<DkimSelector, "status"> & { readonly status: DkimStatus | undefined };

/** A selector as the non-secret `dkimSelectors` stack output describes it: what monitors need to check DKIM. */
export type SelectorSummary = {
  readonly selector: DkimSelector["name"];
  readonly status: DkimStatus;
} & { readonly [K in "algorithm" | "bits" | "fingerprint"]?: DkimKeyInfo[K] } & {
  readonly [K in "cname" | "createdAt" | "retiredAt"]?: NonNullable<DkimSelector[K]>;
} & {
  /** Whole days since createdAt. */
  readonly ageDays?: number;
};

/** The facts of a selector's key, when it has one that parses. */
export function keyInfoOf(algorithm: DkimAlgorithm, publicKey: string | undefined): DkimKeyInfo | undefined {
  if (publicKey === undefined) return undefined;
  const inspection = inspectDkimPublicKey(algorithm, publicKey);
  return inspection.ok ? inspection.info : undefined;
}

/** The model of a selector whose config is valid (`fields` is the schema's output). */
export function selectorOf(
  name: string,
  fields: z.output<typeof selectorSchema>,
  key: DkimKeyInfo | undefined,
): DkimSelector {
  const { status, algorithm, publicKey, cname, createdAt, retiredAt } = fields;
  return { name, status, algorithm, publicKey, key, cname, createdAt, retiredAt };
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * A selector read from a stack file without validating it: what keygen, rotate and export act on. A
 * status or algorithm that is not one is what the schema makes of it (none, its default); the other
 * fields are taken as the strings they are.
 */
export function selectorInFile(name: string, entry: Readonly<Record<string, unknown>>): SelectorInFile {
  const { status: statusField, algorithm: algorithmField } = selectorSchema.shape;
  const algorithm = algorithmField.safeParse(entry["algorithm"]).data ?? algorithmField.parse(undefined);
  const publicKey = text(entry["publicKey"]);
  return {
    name,
    status: statusField.safeParse(entry["status"]).data,
    algorithm,
    publicKey,
    key: keyInfoOf(algorithm, publicKey),
    cname: text(entry["cname"]),
    createdAt: text(entry["createdAt"]),
    retiredAt: text(entry["retiredAt"]),
  };
}

/** Whole days from `createdAt` to `now`, or undefined without a date. */
export function ageInDays(createdAt: string | undefined, now: Date): number | undefined {
  return createdAt === undefined ? undefined : Math.floor((now.getTime() - Date.parse(createdAt)) / DAY_MS);
}

/** The `dkimSelectors` entry of a selector. */
export function selectorSummary(selector: DkimSelector, now: Date): SelectorSummary {
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
}

/** Whether `selectors` publish Ed25519 keys but no RSA key (configured ones, or about to be: keygen). */
export function publishesEd25519Only(
  selectors: readonly {
    readonly status: DkimStatus | undefined;
    readonly key?: { readonly algorithm: DkimAlgorithm } | undefined;
  }[],
): boolean {
  const publishes = (algorithm: DkimAlgorithm): boolean =>
    selectors.some((s) => s.status !== "revoked" && s.key?.algorithm === algorithm);
  return publishes("ed25519") && !publishes("rsa");
}

/** The one warning about Ed25519 keys without an RSA key beside them (plan and keygen). */
export const ED25519_ONLY_WARNING =
  "sender-auth:dkim.selectors: Ed25519 keys are published but no RSA key; many receivers cannot verify " +
  "Ed25519 (RFC 8463), so sign with an RSA selector too";
