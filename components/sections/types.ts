/**
 * What a record family is to sender-auth: one section per family (DNS, SPF, DKIM, DMARC, ...), each
 * owning its config key from schema to published records. The registry (./index.ts) lists them, and
 * everything that is the same for every family loops over it: validation and its messages
 * (config.ts), the parked profile, the records, the program's stack outputs (program.ts), `plan`'s
 * JSON, `diff` and `check`. docs/sections.md says what a new family implements.
 *
 * Sections are pure: no Pulumi, network or CLI imports, except in the parts loaded on first use
 * and never by the Pulumi program: `diff()` (by `diff`) and `check()` (by `check`, which asks DNS
 * through the stack's client and mailauth, cli/check/context.ts).
 */
import type { z } from "zod";
import type { SectionCheck } from "../../cli/check/context";
import type { DnsRecord, PublishedRecord, SenderAuthConfig } from "../model";
import type { KeyProblem } from "../problems";

/** The decoded `sender-auth:*` config of one stack as read, before validation: any shape at all. */
export type RawStack = Readonly<Record<string, unknown>>;

/** What a family's checks share during one validation of one stack. */
export interface ValidationContext {
  /** `compute()`, once per validation under `id`: a key a check parsed is not parsed again for the model. */
  memo<T>(id: string, compute: () => T): T;
}

/** Records a family publishes, and what is risky about them as built. */
export interface BuiltRecords {
  readonly records: readonly DnsRecord[];
  readonly warnings?: readonly string[];
}

/** A name a family publishes at whatever else is configured (`_dmarc.<domain>`), for the length check. */
export interface FixedName {
  readonly name: string;
  /** The record, as messages name it: "the DMARC record". */
  readonly what: string;
}

/** A family's use of its secret config (`pulumi config set --secret`), read only by the program. */
export interface SectionSecrets<Name extends string> {
  /** What is wrong with the decrypted value of `sender-auth:<key>` given the validated config. */
  problems(secret: unknown, config: SenderAuthConfig): readonly KeyProblem[];
  /** Secret stack outputs derived from it, by output name. */
  readonly outputs: { readonly [N in Name]: (secret: unknown, config: SenderAuthConfig) => unknown };
}

/** One side of a stack in a diff: its validated config and the records it publishes. */
export interface DiffSide {
  readonly config: SenderAuthConfig;
  readonly records: readonly PublishedRecord[];
}

/** A change of one stack, as every family's diff reads it; a side is missing for a new or removed stack. */
export interface StackChange {
  readonly base: DiffSide | undefined;
  readonly head: DiffSide | undefined;
  /** The policy domain (the stack name when neither side has one). */
  readonly domain: string;
}

/** What a change means for mail, in sentences; `weakening` and `unsafe` are what the gates read. */
export interface ChangeMeaning {
  readonly meanings: readonly string[];
  /** Meanings (each also in `meanings`) that weaken the domain's protection or its reports. */
  readonly weakening?: readonly string[];
  /** Why the change is unsafe to deploy as it is. */
  readonly unsafe?: readonly string[];
}

/** A family's part of `diff` (cli/diff/analyze.ts): loaded only by `diff`. */
export interface SectionDiff {
  meaning(change: StackChange): ChangeMeaning;
}

/** The types a section is built from. */
export interface SectionTypes {
  /** The config key, `sender-auth:<key>`. */
  readonly key: string;
  readonly schema: z.ZodType;
  /** The validated model of the key (from the schema's output). */
  readonly model: unknown;
  /** The `purpose` of the records it builds (`plan` shows it). */
  readonly purpose: string;
  /** Whether a stack must set the key. @default false */
  readonly required?: boolean;
  /** Stack outputs the family adds. @default none */
  readonly outputs?: object;
  /** Names of secret stack outputs the family adds. @default none */
  readonly secrets?: string;
}

export interface Section<T extends SectionTypes = SectionTypes> {
  readonly key: T["key"];
  /** The family in messages: "SPF". */
  readonly title: string;
  /** Whether a stack must set the key (else its model is undefined when it is not set). */
  readonly required: boolean;
  /** The value at `sender-auth:<key>`: structure, types, defaults, per-value checks. */
  readonly schema: T["schema"];
  /**
   * What is allowed, by key pattern below the key (`""` the key itself, `ip4[]` any list element,
   * `selectors.*.status` any name in a map), for the messages (and README's config reference).
   */
  readonly allowed: Readonly<Record<string, string>>;
  /** Turns the JSON-decoded value Pulumi passes into what validation reads (DKIM drops private keys). */
  decode?(value: unknown, isSecret: () => boolean): unknown;
  /** A problem for a key at `path` (below `sender-auth:`) that must not be read at all, else undefined. */
  refused?(path: readonly PropertyKey[]): KeyProblem | undefined;
  /** Checks across the key's fields and other keys, on the raw input; reported after the schema's. */
  problems?(raw: RawStack, context: ValidationContext): readonly KeyProblem[];
  /** Names the family publishes at for any config of it, once the domain is known. */
  fixedNames?(raw: RawStack, domain: string): readonly FixedName[];
  /** Names its config makes too long for DNS (RFC 1035 §2.3.4), with the domain counted. */
  nameProblems?(raw: RawStack, domain: string): readonly KeyProblem[];
  /** The model of a valid value of the key. */
  model(parsed: z.output<T["schema"]>, context: ValidationContext): T["model"];
  /** Valid but risky settings, each a line starting with its key path. */
  warnings?(config: SenderAuthConfig, records: readonly DnsRecord[], now: Date): readonly string[];
  /** The records of a stack that is not parked. */
  records?(config: SenderAuthConfig): BuiltRecords;
  /**
   * The records of a parked domain (`sender-auth:parked: true`, one that sends and receives no mail).
   * An optional key cannot be set on a parked domain: a family that has them publishes them instead,
   * one without publishes nothing there (a parked domain sends and receives no mail).
   */
  parked?(config: SenderAuthConfig): BuiltRecords;
  /** Stack outputs (index.ts exports each). */
  outputs?(config: SenderAuthConfig, now: Date): NonNullable<T["outputs"]>;
  /** Outputs that `plan --format json` also shows for each stack. */
  readonly planOutputs?: readonly string[];
  readonly secrets?: SectionSecrets<NonNullable<T["secrets"]>>;
  /** The family's part of `diff`, loaded on first use. */
  diff?(): SectionDiff;
  /** The family's live checks for `check` (components/sections/<key>/check.ts), loaded on first use. */
  check?(): SectionCheck;
}

/** Any section, as the registry and the loops over it hold them. */
export type AnySection = Section;

type TypesOf<S> = S extends Section<infer T> ? T : never;

/** One stack's validated configuration, from the registry: `domain`, `parked` and each family's model. */
export type StackModel<L extends readonly AnySection[]> = {
  readonly domain: string;
  /** Sends and receives no mail: publishes the families' parked records. */
  readonly parked: boolean;
} & {
  readonly [S in L[number] as TypesOf<S>["key"]]: TypesOf<S>["required"] extends true
    ? TypesOf<S>["model"]
    : TypesOf<S>["model"] | undefined;
};

type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** The stack outputs the families of the registry add. */
export type OutputsOf<L extends readonly AnySection[]> = Intersection<
  { [I in keyof L]: TypesOf<L[I]> extends { outputs: infer O } ? O : never }[number]
>;

/** Names of the secret stack outputs the families of the registry add. */
export type SecretsOf<L extends readonly AnySection[]> =
  TypesOf<L[number]> extends infer T ? (T extends { secrets: infer N extends string } ? N : never) : never;

/** The `purpose` of every record the families of the registry build. */
export type PurposeOf<L extends readonly AnySection[]> = TypesOf<L[number]>["purpose"];
