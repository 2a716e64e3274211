/**
 * Cloudflare (`cloudflare.DnsRecord`, @pulumi/cloudflare v6): every Cloudflare fact and quirk lives
 * here. Each TXT value is its own DNS record with its own ID (Cloudflare docs, DNS record types: TXT,
 * "multiple TXT records with the same name"), so values sender-auth does not own (`preserveTxt`) are
 * simply left alone.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as cloudflareSdk from "@pulumi/cloudflare";
import type { DnsConfig, DnsRecord } from "../model";
import { parseCharacterStrings, quoteCharacterStrings, splitCharacterStrings } from "../records/txt";
import {
  numberInput,
  recordTypeInput,
  stringInput,
  type DnsProviderAdapter,
  type ProviderProblem,
  type RegisteredRecordResource,
  type ServedRecord,
} from "./types";

export const CLOUDFLARE_RECORD_TYPE = "cloudflare:index/dnsRecord:DnsRecord";
/**
 * At most 2,048 characters of content per TXT record ... (Cloudflare docs, DNS record types: TXT; a
 * later 4,096-byte wire-format limit per record is met as well)
 */
export const CLOUDFLARE_MAX_TXT_CONTENT = 2048;
/** ... and 8,192 for all TXT records of one name together. */
export const CLOUDFLARE_MAX_TXT_PER_NAME = 8192;
/**
 * Records per zone on the Free plan (1,000 for Free zones created before 2024-09-01; 3,500 on paid
 * plans): Cloudflare docs, DNS → Manage DNS records → FAQ. The plan is not in the config, so more
 * records than this draw a warning, not an error.
 */
export const CLOUDFLARE_FREE_ZONE_RECORDS = 200;

/** `ttl: 1` is Cloudflare's "automatic" TTL, which it serves as 300 s (Cloudflare docs, DNS → TTL). */
export const CLOUDFLARE_AUTO_TTL = 1;
export const CLOUDFLARE_AUTO_TTL_SERVED = 300;

/** The inputs of one `cloudflare.DnsRecord`, exactly as registered. */
export interface CloudflareRecordInputs {
  readonly zoneId: pulumi.Input<string>;
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly content: string;
  readonly priority?: number;
  readonly proxied?: boolean;
  readonly comment: string;
}

/**
 * TXT content is the value's 255-octet chunks, each in double quotes, one space between (Cloudflare's
 * API schema: "quoted character strings (RFC 1035), each with a length of up to 255 bytes"). Cloudflare
 * stores long values re-split exactly like this, so any other form drifts on every preview
 * (terraform-provider-cloudflare#6238) or draws the dashboard's warning that TXT content "must be in
 * quotation marks" (DNSControl#3172).
 */
export function cloudflareContent(record: DnsRecord): string {
  return record.type === "TXT" ? quoteCharacterStrings(splitCharacterStrings(record.value)) : record.value;
}

export function cloudflareRecordInputs(record: DnsRecord, zoneId: pulumi.Input<string>): CloudflareRecordInputs {
  const base = {
    zoneId,
    name: record.name,
    type: record.type,
    ttl: record.ttl,
    comment: `sender-auth ${record.purpose}`,
  };
  switch (record.type) {
    case "TXT":
      // Only A, AAAA and CNAME records can be proxied (Cloudflare docs, DNS FAQ): TXT carries no `proxied`.
      return { ...base, content: cloudflareContent(record) };
    case "CNAME":
      // A proxied CNAME answers with Cloudflare's addresses instead of the target's key record.
      return { ...base, content: record.value, proxied: false };
    case "MX": {
      const [preference = "0", exchange = "."] = record.value.split(" ");
      return { ...base, content: exchange, priority: Number(preference) };
    }
  }
}

/** What Cloudflare serves for one registered `cloudflare.DnsRecord`. */
function servedRecord(resource: RegisteredRecordResource): ServedRecord {
  const type = recordTypeInput(resource);
  const name = stringInput(resource, "name").toLowerCase();
  const ttl = numberInput(resource, "ttl");
  const content = stringInput(resource, "content");
  const base = { name, type, ttl: ttl === CLOUDFLARE_AUTO_TTL ? CLOUDFLARE_AUTO_TTL_SERVED : ttl };
  switch (type) {
    case "TXT":
      // Cloudflare reads `content` as presentation-format character-strings (see cloudflareContent).
      return { ...base, data: parseCharacterStrings(content) };
    case "CNAME":
      return { ...base, data: content.toLowerCase() };
    case "MX":
      return { ...base, data: `${numberInput(resource, "priority")} ${content}` };
  }
}

export const cloudflare: DnsProviderAdapter = {
  kind: "cloudflare",
  title: "Cloudflare",
  zoneIdForm: "32 hex characters",
  ttlRange: "1 (automatic) or 60–86400",
  oneRecordSetPerName: false,

  configProblems(dns: DnsConfig): ProviderProblem[] {
    const problems: ProviderProblem[] = [];
    if (!/^[0-9a-f]{32}$/.test(dns.zoneId)) {
      problems.push({
        path: ["dns", "zoneId"],
        message: "is not a Cloudflare zone ID (32 lower-case hex characters, shown on the zone's Overview page)",
        value: dns.zoneId,
      });
    }
    // 1 means automatic; otherwise 60–86400, 30 on Enterprise zones (cloudflare.DnsRecord `ttl`).
    if (!(dns.ttl === 1 || (dns.ttl >= 30 && dns.ttl <= 86400))) {
      problems.push({ path: ["dns", "ttl"], message: "is outside what Cloudflare accepts", value: dns.ttl });
    }
    return problems;
  },

  audit(config, records) {
    const problems: ProviderProblem[] = [];
    const warnings: string[] = [];
    if (config.dns.ttl >= 30 && config.dns.ttl < 60) {
      warnings.push(
        `sender-auth:dns.ttl: ${config.dns.ttl} seconds is only accepted on Cloudflare Enterprise zones; others need 60 or more`,
      );
    }
    if (records.length > CLOUDFLARE_FREE_ZONE_RECORDS) {
      warnings.push(
        `sender-auth:dns.zoneId: this stack creates ${records.length} records in the zone; a Cloudflare Free ` +
          `zone holds at most ${CLOUDFLARE_FREE_ZONE_RECORDS} records of any kind (1,000 if created before ` +
          "2024-09-01, 3,500 on paid plans), and creating more fails",
      );
    }
    const perName = new Map<string, number>();
    for (const record of records.filter((r) => r.type === "TXT")) {
      const length = cloudflareContent(record).length;
      if (length > CLOUDFLARE_MAX_TXT_CONTENT) {
        problems.push({
          path: record.path,
          message: `makes a TXT record at ${record.name} of ${length} characters of content`,
          allowed: `at most ${CLOUDFLARE_MAX_TXT_CONTENT} characters per TXT record on Cloudflare`,
        });
      }
      perName.set(record.name, (perName.get(record.name) ?? 0) + length);
    }
    const apex =
      (perName.get(config.domain) ?? 0) +
      config.dns.preserveTxt.reduce((sum, v) => sum + quoteCharacterStrings(splitCharacterStrings(v)).length, 0);
    if (apex > CLOUDFLARE_MAX_TXT_PER_NAME) {
      problems.push({
        path: ["dns", "preserveTxt"],
        message: `brings the TXT records at ${config.domain} to ${apex} characters of content`,
        allowed: `at most ${CLOUDFLARE_MAX_TXT_PER_NAME} characters for all TXT records of one name on Cloudflare`,
      });
    }
    return { problems, warnings };
  },

  createResources(name, args, opts) {
    // Loaded here, not at the top: a Route53 stack never pays for the Cloudflare SDK (issue #6).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("@pulumi/cloudflare") as typeof cloudflareSdk;
    return args.records.map(
      (record) =>
        new sdk.DnsRecord(`${name}-${record.id}`, cloudflareRecordInputs(record, args.zoneId), {
          ...opts,
          // A replacement created before the old record is deleted collides with it: Cloudflare refuses
          // "An identical record already exists" (error 81058); Pulumi creates first by default.
          deleteBeforeReplace: true,
        }),
    );
  },

  served(resources, config) {
    const served = resources.filter((r) => r.type === CLOUDFLARE_RECORD_TYPE).map(servedRecord);
    // Each TXT value is its own record: the preserveTxt values are records of their own beside
    // sender-auth's apex TXT record, which `pulumi up` leaves as they are.
    const apex = served.find((r) => r.name === config.domain && r.type === "TXT");
    const preserved = config.dns.preserveTxt.map((value): ServedRecord => ({
      name: config.domain,
      type: "TXT",
      ttl: apex?.ttl ?? 0,
      data: splitCharacterStrings(value),
    }));
    return apex === undefined ? served : [...served, ...preserved];
  },
};
