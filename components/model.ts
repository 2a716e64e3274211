/**
 * The provider-neutral model every record family shares: the config namespace, the record a family
 * builds and the form it is published in, and one stack's validated configuration, composed from the
 * families' own models (sections/). No Pulumi imports: this module is pure data.
 */
import type { SECTIONS } from "./sections";
import type { PurposeOf, StackModel } from "./sections/types";

/** The Pulumi project name, which is also the config namespace (`sender-auth:domain`, ...). */
export const PROJECT = "sender-auth";

/** Record types sender-auth publishes. SPF is always TXT: RRTYPE 99 is deprecated (RFC 7208 §3.1, §14.1). */
export const RECORD_TYPES = ["TXT", "CNAME", "MX"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** What a published record is for, as its family names it; `purpose` in plan output and stack outputs. */
export type RecordPurpose = PurposeOf<typeof SECTIONS>;

/** One stack's validated configuration: `domain`, `parked` and each registered family's model. */
export type SenderAuthConfig = StackModel<typeof SECTIONS>;

/** A provider-neutral DNS record: what `pulumi up` publishes, before any provider encoding. */
export interface DnsRecord {
  /** Stable suffix of the Pulumi logical name (`spf`, `dkim-<selector>`, ...), derived from what it describes. */
  readonly id: string;
  /**
   * Fully-qualified, lower-case, no trailing dot: how both providers store names (Cloudflare
   * `dnsRecord` docs; terraform-provider-aws route53 record.go lower-cases and trims the dot).
   */
  readonly name: string;
  readonly type: RecordType;
  readonly ttl: number;
  /** The logical value: TXT unsplit, CNAME target without trailing dot, MX as `<preference> <exchange>`. */
  readonly value: string;
  readonly purpose: RecordPurpose;
  readonly selector?: string;
  /** The config key the record comes from (below `sender-auth:`), for messages about it. */
  readonly path: readonly PropertyKey[];
}

/** The public shape of a record in stack outputs and `plan --format json`. */
export interface PublishedRecord {
  readonly name: string;
  readonly type: RecordType;
  readonly ttl: number;
  readonly value: string;
  readonly purpose: RecordPurpose;
  readonly selector?: string;
}

export function publishedRecord(record: DnsRecord): PublishedRecord {
  const { name, type, ttl, value, purpose, selector } = record;
  return selector === undefined ? { name, type, ttl, value, purpose } : { name, type, ttl, value, purpose, selector };
}

/** A plain object (not null, not an array): the shape of structured config and YAML mappings. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// The families' own model types, for readers of the validated model (the reports join, tests). A new
// family's types are imported from its section.
export type { DnsConfig, DnsProvider } from "./sections/dns";
export type { SpfAll, SpfConfig } from "./sections/spf";
export type {
  DkimAlgorithm,
  DkimConfig,
  DkimKeyInfo,
  DkimSelector,
  DkimStatus,
  SelectorSummary,
} from "./sections/dkim";
export type { DmarcAlignment, DmarcConfig, DmarcFailureOption, DmarcPolicy } from "./sections/dmarc";
