/** The seam between provider-neutral records and one DNS provider's resources, facts and quirks. */
import type * as pulumi from "@pulumi/pulumi";
import { RECORD_TYPES, type DnsConfig, type DnsRecord, type RecordType, type SenderAuthConfig } from "../model";
import type { KeyProblem } from "../problems";

/** DNS providers a stack can publish to (`sender-auth:dns.provider`). */
export const DNS_PROVIDERS = ["cloudflare", "route53"] as const;
export type DnsProvider = (typeof DNS_PROVIDERS)[number];

/** A problem found by a provider's rules, with the config key path it belongs to. */
export type ProviderProblem = KeyProblem;

export interface ProviderAudit {
  readonly problems: readonly ProviderProblem[];
  readonly warnings: readonly string[];
}

export interface ProviderResourceArgs {
  /** The zone records are created in. */
  readonly zoneId: pulumi.Input<string>;
  /** The policy domain (zone apex). */
  readonly domain: string;
  readonly records: readonly DnsRecord[];
  /** TXT values at the apex that sender-auth does not own but must not destroy. */
  readonly preserveTxt: readonly string[];
}

/** A resource as the program registered it (`plan`'s mock runtime records these): type token and inputs. */
export interface RegisteredRecordResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** One record as the provider will serve it once `pulumi up` has sent the registered inputs. */
export interface ServedRecord {
  /** Lower case, no trailing dot. */
  readonly name: string;
  readonly type: RecordType;
  /** The TTL the provider serves (not always the input: Cloudflare's 1 means 300 s). */
  readonly ttl: number;
  /** TXT: the character-strings, as the provider splits them; CNAME: the target; MX: `<preference> <exchange>`. */
  readonly data: string | readonly string[];
}

/** The registered inputs of a resource are not what this provider's file registers (a bug, not bad config). */
export function unexpectedInputs(resource: RegisteredRecordResource, key: string): Error {
  return new Error(
    `resource ${resource.name} (${resource.type}) has an unexpected ${key}: ${JSON.stringify(resource.inputs[key])}`,
  );
}

/** A string input of a registered resource. */
export function stringInput(resource: RegisteredRecordResource, key: string): string {
  const value = resource.inputs[key];
  if (typeof value !== "string") throw unexpectedInputs(resource, key);
  return value;
}

/** A number input of a registered resource. */
export function numberInput(resource: RegisteredRecordResource, key: string): number {
  const value = resource.inputs[key];
  if (typeof value !== "number" || !Number.isInteger(value)) throw unexpectedInputs(resource, key);
  return value;
}

/** The `type` input of a registered resource: one of the record types sender-auth publishes. */
export function recordTypeInput(resource: RegisteredRecordResource): RecordType {
  const type = RECORD_TYPES.find((t) => t === resource.inputs["type"]);
  if (type === undefined) throw unexpectedInputs(resource, "type");
  return type;
}

export interface DnsProviderAdapter {
  readonly kind: DnsProvider;
  /** The provider's name in messages: "Cloudflare". */
  readonly title: string;
  /** What a zone ID looks like, for `sender-auth:dns.zoneId`'s allowed text. */
  readonly zoneIdForm: string;
  /** The TTLs it accepts, for `sender-auth:dns.ttl`'s allowed text. */
  readonly ttlRange: string;
  /**
   * Whether all values of one name and type are one record set (one resource). Then values
   * sender-auth does not own at the apex (`preserveTxt`) are written into the set of its own apex
   * record, and without one they are not touched at all; and a value added by hand beside one of
   * sender-auth's records is in its set, which `pulumi up --refresh` puts back as declared.
   */
  readonly oneRecordSetPerName: boolean;
  /** Checks `sender-auth:dns` against what this provider accepts (zone ID form, TTL range). */
  configProblems(dns: DnsConfig): ProviderProblem[];
  /** Checks the built records against this provider's limits. */
  audit(config: SenderAuthConfig, records: readonly DnsRecord[]): ProviderAudit;
  /**
   * Creates the provider resources for `records`, named `<name>-<record id>`. Loads the provider SDK
   * only when called, so a stack never loads the SDK of a provider it does not use (issue #6).
   */
  createResources(
    name: string,
    args: ProviderResourceArgs,
    opts: pulumi.CustomResourceOptions,
  ): pulumi.CustomResource[];
  /**
   * What the provider will serve at sender-auth's names once `pulumi up` has created `resources` (the
   * inputs as registered, e.g. by `plan`), values at the apex that sender-auth leaves alone
   * (`preserveTxt`) included: what `check --planned` answers from.
   */
  served(resources: readonly RegisteredRecordResource[], config: SenderAuthConfig): ServedRecord[];
}
