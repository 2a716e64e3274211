/**
 * AWS Route53 (`aws.route53.Record`, @pulumi/aws v7): every Route53 fact and quirk lives here. Route53
 * keys a record set by name and type, so all values of one name live in ONE resource (Route 53
 * Developer Guide, TXT record type: "include all values for a domain … in the same TXT record"),
 * values sender-auth does not own (`preserveTxt`) included.
 */
import type * as route53Sdk from "@pulumi/aws/route53";
import type { DnsConfig, DnsRecord, RecordType } from "../model";
import { parseCharacterStrings, splitCharacterStrings } from "../records/txt";
import {
  numberInput,
  recordTypeInput,
  stringInput,
  unexpectedInputs,
  type DnsProviderAdapter,
  type ProviderProblem,
  type RegisteredRecordResource,
  type ServedRecord,
} from "./types";

export const ROUTE53_RECORD_TYPE = "aws:route53/record:Record";
/** At most 4,000 characters in one TXT value (Route 53 Developer Guide, TXT record type). */
export const ROUTE53_MAX_TXT_VALUE = 4000;
/**
 * Each `aws.route53.Record` is one ChangeResourceRecordSets request, which may carry at most 1,000
 * ResourceRecord elements and 32,000 characters in all its Value elements; an UPSERT counts each
 * element and each character twice (Route 53 API Reference, ChangeResourceRecordSets; Developer Guide,
 * "Quotas on API requests"). The provider creates a set with CREATE but updates it in place with UPSERT
 * (terraform-provider-aws internal/service/route53/record.go, resourceRecordCreate), so a record set
 * must fit the halved limits to stay changeable.
 */
export const ROUTE53_MAX_REQUEST_VALUES = 1000;
export const ROUTE53_MAX_REQUEST_CHARACTERS = 32000;
const UPSERT_WEIGHT = 2;
export const ROUTE53_MAX_SET_VALUES = ROUTE53_MAX_REQUEST_VALUES / UPSERT_WEIGHT;
export const ROUTE53_MAX_SET_CHARACTERS = ROUTE53_MAX_REQUEST_CHARACTERS / UPSERT_WEIGHT;
const ROUTE53_MAX_TTL = 2147483647;

/** One Route53 record set: every value of one name and type. */
export interface Route53RecordSet {
  /** Stable suffix of the logical name: the id of the set's first sender-auth record. */
  readonly id: string;
  readonly name: string;
  readonly type: RecordType;
  readonly ttl: number;
  /** `records` elements exactly as sent to the provider. */
  readonly records: readonly string[];
  /** True for the apex TXT set, which also carries values sender-auth does not own. */
  readonly shared: boolean;
}

/**
 * One `records` element per logical value, since each element is a record of its own (pulumi-aws#5451;
 * terraform-provider-aws flex.go, expandResourceRecords), never pre-quoted (the provider adds the outer
 * quotes, flex.go), with `""` at each 255-octet boundary so the provider sends several
 * character-strings of one record (aws.route53.Record `records` docs).
 */
export function route53Element(type: RecordType, value: string): string {
  return type === "TXT" ? splitCharacterStrings(value).join('""') : value;
}

/** Groups records into record sets; the apex TXT set also carries `preserveTxt`. */
export function route53RecordSets(
  domain: string,
  records: readonly DnsRecord[],
  preserveTxt: readonly string[],
): Route53RecordSet[] {
  const sets = new Map<string, { first: DnsRecord; values: string[] }>();
  for (const record of records) {
    const key = `${record.name} ${record.type}`;
    const set = sets.get(key);
    if (set) set.values.push(record.value);
    else sets.set(key, { first: record, values: [record.value] });
  }
  return [...sets.values()].map(({ first, values }) => {
    const shared = first.name === domain && first.type === "TXT";
    const all = shared ? [...values, ...preserveTxt] : values;
    return {
      id: first.id,
      name: first.name,
      type: first.type,
      ttl: first.ttl,
      records: all.map((v) => route53Element(first.type, v)),
      shared,
    };
  });
}

/** The Value element the provider sends for one `records` element: TXT in outer quotes (tf-aws flex.go). */
function requestValueLength(type: RecordType, element: string): number {
  return type === "TXT" ? element.length + 2 : element.length;
}

/** Record sets too large for one ChangeResourceRecordSets request (see ROUTE53_MAX_SET_VALUES). */
function requestSizeProblems(
  domain: string,
  records: readonly DnsRecord[],
  preserveTxt: readonly string[],
): ProviderProblem[] {
  const problems: ProviderProblem[] = [];
  for (const set of route53RecordSets(domain, records, preserveTxt)) {
    const characters = set.records.reduce((sum, element) => sum + requestValueLength(set.type, element), 0);
    if (set.records.length <= ROUTE53_MAX_SET_VALUES && characters <= ROUTE53_MAX_SET_CHARACTERS) continue;
    const first = records.find((record) => record.id === set.id);
    problems.push({
      // The apex set grows with preserveTxt; any other set is one config entry's record.
      path: set.shared || first === undefined ? ["dns", "preserveTxt"] : first.path,
      message:
        `makes the ${set.type} record set at ${set.name} ${set.records.length} values with ${characters} ` +
        "characters of value text; Route53 takes a record set in one ChangeResourceRecordSets request and " +
        "counts both twice when it updates the set (UPSERT)",
      allowed:
        `at most ${ROUTE53_MAX_SET_VALUES} values and ${ROUTE53_MAX_SET_CHARACTERS} characters of value text ` +
        "(quotes included) per record set on Route53",
    });
  }
  return problems;
}

/**
 * What Route53 serves for one registered `aws.route53.Record`: one record per `records` element,
 * which the provider sends inside one pair of double quotes (terraform-provider-aws flex.go), so
 * that each `""` in it separates two character-strings of one record.
 */
function servedRecords(resource: RegisteredRecordResource): ServedRecord[] {
  const type = recordTypeInput(resource);
  const name = stringInput(resource, "name").toLowerCase();
  const ttl = numberInput(resource, "ttl");
  const elements = resource.inputs["records"];
  if (!Array.isArray(elements) || !elements.every((e): e is string => typeof e === "string")) {
    throw unexpectedInputs(resource, "records");
  }
  return elements.map((element) => ({
    name,
    type,
    ttl,
    data: type === "TXT" ? parseCharacterStrings(`"${element}"`) : type === "CNAME" ? element.toLowerCase() : element,
  }));
}

export const route53: DnsProviderAdapter = {
  kind: "route53",
  title: "Route53",
  zoneIdForm: "the hosted zone ID such as Z0123456789ABCDEFGHIJ",
  ttlRange: "0–2147483647",
  oneRecordSetPerName: true,

  configProblems(dns: DnsConfig): ProviderProblem[] {
    const problems: ProviderProblem[] = [];
    if (dns.zoneId.startsWith("/hostedzone/")) {
      problems.push({
        path: ["dns", "zoneId"],
        message: `must be the bare hosted zone ID; use "${dns.zoneId.slice("/hostedzone/".length)}"`,
        value: dns.zoneId,
      });
    } else if (!/^[A-Z0-9]{1,32}$/.test(dns.zoneId)) {
      problems.push({
        path: ["dns", "zoneId"],
        message: "is not a Route53 hosted zone ID (upper-case letters and digits, e.g. Z0123456789ABCDEFGHIJ)",
        value: dns.zoneId,
      });
    }
    if (dns.ttl < 0 || dns.ttl > ROUTE53_MAX_TTL) {
      problems.push({ path: ["dns", "ttl"], message: "is outside what Route53 accepts", value: dns.ttl });
    }
    return problems;
  },

  audit(config, records) {
    const problems: ProviderProblem[] = [...requestSizeProblems(config.domain, records, config.dns.preserveTxt)];
    const values = [
      ...records.map((record) => ({ record, path: record.path, value: record.value })),
      ...config.dns.preserveTxt.map((value, index) => ({
        record: undefined,
        path: ["dns", "preserveTxt", index],
        value,
      })),
    ];
    for (const { record, path, value } of values) {
      if (record !== undefined && record.type !== "TXT") continue;
      // Each character-string goes out in quotes: count them as Route53 does.
      const length = splitCharacterStrings(value).reduce((sum, chunk) => sum + chunk.length + 2, 0);
      if (length > ROUTE53_MAX_TXT_VALUE) {
        problems.push({
          path,
          message: `makes a TXT value at ${record?.name ?? config.domain} of ${length} characters`,
          allowed: `at most ${ROUTE53_MAX_TXT_VALUE} characters per TXT value on Route53`,
        });
      }
    }
    return { problems, warnings: [] };
  },

  createResources(name, args, opts) {
    // Loaded here, not at the top: a Cloudflare stack never pays for the AWS SDK (issue #6).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("@pulumi/aws/route53") as typeof route53Sdk;
    return route53RecordSets(args.domain, args.records, args.preserveTxt).map(
      (set) =>
        new sdk.Record(
          `${name}-${set.id}`,
          {
            zoneId: args.zoneId,
            name: set.name,
            type: set.type,
            ttl: set.ttl,
            records: [...set.records],
            // An UPSERT over an existing set would wipe values it does not list (aws.route53.Record
            // `allowOverwrite` docs; terraform-provider-aws#4493). Adopt existing sets with
            // `pulumi import` instead (README).
            allowOverwrite: false,
          },
          {
            ...opts,
            // Route53 refuses to create a set that exists, so a replacement must delete first.
            deleteBeforeReplace: true,
            // Deleting the apex TXT set deletes the whole set as Route53 serves it, verification tokens
            // included (terraform-provider-aws record.go, resourceRecordDelete).
            ...(set.shared ? { retainOnDelete: true } : {}),
          },
        ),
    );
  },

  // The apex set already carries preserveTxt (route53RecordSets): Route53 serves exactly the sets.
  served(resources) {
    return resources.filter((r) => r.type === ROUTE53_RECORD_TYPE).flatMap(servedRecords);
  },
};
