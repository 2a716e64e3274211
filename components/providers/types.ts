/** The seam between provider-neutral records and one DNS provider's resources and quirks. */
import type * as pulumi from "@pulumi/pulumi";
import {
  RECORD_TYPES,
  type DnsConfig,
  type DnsProvider,
  type DnsRecord,
  type RecordType,
  type SenderAuthConfig,
} from "../model";

/** A problem found by a provider's rules, with the config key path it belongs to. */
export interface ProviderProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly value?: unknown;
  /** What the provider accepts; defaults to the key's general description. */
  readonly allowed?: string;
}

/** The config key a record comes from, for messages about it. */
export function configPathOf(record: DnsRecord): PropertyKey[] {
  switch (record.purpose) {
    case "dkim":
      return record.selector === undefined || record.selector === "*"
        ? ["dkim"]
        : ["dkim", "selectors", record.selector, "publicKey"];
    case "dmarc-report-auth":
      return ["dmarc", "authorizeReportsFor"];
    case "mx":
      return ["parked"];
    default:
      return [record.purpose];
  }
}

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
