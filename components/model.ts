/**
 * The validated, provider-neutral model of one stack's configuration and the records built from it.
 * Allowed values are defined once here, as `as const` arrays that drive both the TypeScript types and
 * the runtime validation in `config.ts`. No Pulumi imports: this module is pure data.
 */

/** The Pulumi project name, which is also the config namespace (`sender-auth:domain`, ...). */
export const PROJECT = "sender-auth";

/** DNS providers a stack can publish to (`sender-auth:dns.provider`). */
export const DNS_PROVIDERS = ["cloudflare", "route53"] as const;
export type DnsProvider = (typeof DNS_PROVIDERS)[number];

/** What SPF says about mail from hosts no mechanism matched (`sender-auth:spf.all`). RFC 7208 §4.6.2. */
export const SPF_ALL_VALUES = ["fail", "softfail", "neutral"] as const;
export type SpfAll = (typeof SPF_ALL_VALUES)[number];
/** `+all` is deliberately absent: it authorises every host on the internet (rules E10). */
export const SPF_ALL_QUALIFIERS: Readonly<Record<SpfAll, string>> = { fail: "-", softfail: "~", neutral: "?" };

/** Lifecycle of a DKIM selector (`sender-auth:dkim.selectors.<name>.status`). */
export const DKIM_STATUSES = ["active", "published", "retired", "revoked"] as const;
export type DkimStatus = (typeof DKIM_STATUSES)[number];

/** DKIM key algorithms (`k=` tag, RFC 6376 §3.6.1, RFC 8463). */
export const DKIM_ALGORITHMS = ["rsa", "ed25519"] as const;
export type DkimAlgorithm = (typeof DKIM_ALGORITHMS)[number];

/** DMARC policies (`p=`, `sp=`, `np=`; RFC 7489 §6.3, RFC 9989). */
export const DMARC_POLICIES = ["none", "quarantine", "reject"] as const;
export type DmarcPolicy = (typeof DMARC_POLICIES)[number];

/** DMARC identifier alignment modes (`adkim=`, `aspf=`). */
export const DMARC_ALIGNMENTS = ["relaxed", "strict"] as const;
export type DmarcAlignment = (typeof DMARC_ALIGNMENTS)[number];
export const DMARC_ALIGNMENT_TAGS: Readonly<Record<DmarcAlignment, string>> = { relaxed: "r", strict: "s" };

/** DMARC failure reporting options (`fo=`, RFC 7489 §6.3). */
export const DMARC_FAILURE_OPTIONS = ["0", "1", "d", "s"] as const;
export type DmarcFailureOption = (typeof DMARC_FAILURE_OPTIONS)[number];

/** What a published record is for; `purpose` in plan output and stack outputs. */
export const RECORD_PURPOSES = ["spf", "dkim", "dmarc", "dmarc-report-auth", "mx"] as const;
export type RecordPurpose = (typeof RECORD_PURPOSES)[number];

/** Record types sender-auth publishes. SPF is always TXT: RRTYPE 99 is deprecated (RFC 7208 §3.1, §14.1). */
export const RECORD_TYPES = ["TXT", "CNAME", "MX"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Default TTL of every record, in seconds (`sender-auth:dns.ttl`). */
export const DEFAULT_TTL = 3600;

export interface DnsConfig {
  readonly provider: DnsProvider;
  readonly zoneId: string;
  readonly ttl: number;
  /** Other TXT values at the apex that must survive (verification tokens). */
  readonly preserveTxt: readonly string[];
}

export interface SpfConfig {
  readonly ip4: readonly string[];
  readonly ip6: readonly string[];
  readonly a: boolean;
  readonly mx: boolean;
  readonly include: readonly string[];
  readonly exists: readonly string[];
  /** Undefined exactly when `redirect` is set (rules E8: a record ends in `all` or in `redirect=`). */
  readonly all: SpfAll | undefined;
  readonly redirect: string | undefined;
}

/** Facts about a parsed DKIM public key. */
export interface DkimKeyInfo {
  readonly algorithm: DkimAlgorithm;
  /** Modulus length for RSA, 256 for Ed25519. */
  readonly bits: number;
  /** SHA-256 of the published `p=` bytes, lower-case hex. */
  readonly fingerprint: string;
}

export interface DkimSelectorConfig {
  readonly name: string;
  readonly status: DkimStatus;
  readonly algorithm: DkimAlgorithm;
  /** base64 SPKI DER (rsa) or raw 32-byte key (ed25519); undefined for CNAME selectors and bare revocations. */
  readonly publicKey: string | undefined;
  readonly key: DkimKeyInfo | undefined;
  /** Target host of a selector whose key an email provider hosts. */
  readonly cname: string | undefined;
  readonly createdAt: string | undefined;
  readonly retiredAt: string | undefined;
}

export interface DkimConfig {
  /** Sorted by name, so record order never depends on YAML key order. */
  readonly selectors: readonly DkimSelectorConfig[];
  /** Age after which an active key draws a warning (M3AAWG: rotate about every 6 months). */
  readonly maxKeyAgeDays: number;
}

/** Default of `sender-auth:dkim.maxKeyAgeDays`. */
export const DEFAULT_MAX_KEY_AGE_DAYS = 180;

/** A selector as the non-secret `dkimSelectors` stack output describes it. */
export interface SelectorSummary {
  readonly selector: string;
  readonly status: DkimStatus;
  /** Undefined for a CNAME selector (the provider holds the key) and a revoked one without a key. */
  readonly algorithm?: DkimAlgorithm;
  readonly bits?: number;
  /** SHA-256 of the public key bytes, hex. */
  readonly fingerprint?: string;
  readonly cname?: string;
  readonly createdAt?: string;
  readonly retiredAt?: string;
  /** Whole days since createdAt. */
  readonly ageDays?: number;
}

export interface DmarcConfig {
  readonly policy: DmarcPolicy;
  readonly subdomainPolicy: DmarcPolicy | undefined;
  readonly nonexistentSubdomainPolicy: DmarcPolicy | undefined;
  readonly testing: boolean;
  readonly percent: number | undefined;
  readonly rua: readonly string[];
  readonly ruf: readonly string[];
  readonly alignmentSPF: DmarcAlignment | undefined;
  readonly alignmentDKIM: DmarcAlignment | undefined;
  readonly failureOptions: readonly DmarcFailureOption[];
  readonly authorizeReportsFor: readonly string[];
}

/** One stack's validated configuration. */
export interface SenderAuthConfig {
  readonly domain: string;
  readonly dns: DnsConfig;
  readonly spf: SpfConfig | undefined;
  readonly dkim: DkimConfig | undefined;
  readonly dmarc: DmarcConfig | undefined;
  readonly parked: boolean;
}

/** A provider-neutral DNS record: what `pulumi up` publishes, before any provider encoding. */
export interface DnsRecord {
  /** Stable suffix of the Pulumi logical name (`spf`, `dkim-<selector>`, ...), derived from what it describes. */
  readonly id: string;
  /** Fully-qualified, lower-case, no trailing dot (rules B5, C13). */
  readonly name: string;
  readonly type: RecordType;
  readonly ttl: number;
  /** The logical value: TXT unsplit, CNAME target without trailing dot, MX as `<preference> <exchange>`. */
  readonly value: string;
  readonly purpose: RecordPurpose;
  readonly selector?: string;
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
