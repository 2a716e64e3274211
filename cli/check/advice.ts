/**
 * What to do about a failing finding (issue #12): every failing finding of `check` ends with a hint,
 * the command to run or whom to ask, built here from what the check knows: the stack, whether
 * managed names were asked at a resolver (caches) or at the authoritative servers, the TTL served and
 * "now". Also the short key fingerprints findings name instead of whole keys.
 */
import { providerFor, type DnsProvider } from "../../components/providers";
import { fingerprintLabel, publicKeyFingerprint } from "../../components/sections/dkim/records";
import type { DnsResponse, DnsServer, QueryType } from "./dnsClient";

/** What the hints of one stack's check depend on. */
export interface Advice {
  /** The stack, for the commands hints name; without it they name none. */
  readonly stack: string | undefined;
  /** Managed names were compared at the authoritative servers: no cache keeps an old answer there. */
  readonly authoritative: boolean;
  readonly now: Date;
}

const up = (advice: Advice, refresh = false): string =>
  `\`pulumi up${refresh ? " --refresh" : ""}${advice.stack === undefined ? "" : ` --stack ${advice.stack}`}\``;

/** `HH:MM UTC` (with the date when it is not today's), rounded up to the minute: when to look again. */
export function utcTime(now: Date, seconds: number): string {
  const minute = 60_000;
  const at = new Date(Math.ceil((now.getTime() + seconds * 1000) / minute) * minute);
  const iso = at.toISOString();
  const time = `${iso.slice(11, 16)} UTC`;
  return iso.slice(0, 10) === now.toISOString().slice(0, 10) ? time : `${iso.slice(0, 10)} ${time}`;
}

/** How long resolvers may still serve the old answer, when that can be the reason. */
function wait(advice: Advice, ttl: number | undefined, what: string): string {
  if (advice.authoritative || ttl === undefined || ttl <= 0) return "";
  return `; if it just ran, wait for ${what} ${ttl} s (until ${utcTime(advice.now, ttl)})`;
}

/** A managed record DNS serves with another value than the stack declares. */
export function deployHint(advice: Advice, ttl: number | undefined): string {
  return `run ${up(advice)}${wait(advice, ttl, "TTL")}; edited by hand outside sender-auth? ${up(advice, true)} puts the declared value back`;
}

/**
 * A managed record DNS does not serve. Resolvers keep what they were told until it expires: the
 * other records at the name for their TTL, or the name's absence for the negative-caching TTL
 * (RFC 2308 §5).
 */
export function missingHint(advice: Advice, answer: DnsResponse): string {
  const ttl = answer.records[0]?.ttl;
  const waiting =
    ttl === undefined ? wait(advice, answer.negativeTtl, "the negative-caching TTL") : wait(advice, ttl, "TTL");
  return `run ${up(advice)}${waiting}; deleted by hand outside sender-auth? ${up(advice, true)} creates it again`;
}

/** A lookup that got no usable answer: nothing is known about the record. */
export function dnsFailureHint(server: DnsServer, name: string, type: QueryType): string {
  const port = server.port === 53 ? "" : ` -p ${server.port}`;
  return `a DNS failure, not an answer: run the check again; if it persists, ask the server yourself: \`dig @${server.host}${port} ${name} ${type}\``;
}

/** A key sender-auth does not manage was added beside sender-auth's own record (or into its record set). */
export function extraRecordHint(advice: Advice, provider: DnsProvider, name: string, what: string): string {
  return providerFor(provider).oneRecordSetPerName
    ? `edited by hand outside sender-auth: ${up(advice, true)} puts the declared record set at ${name} back`
    : `delete the other ${what} at ${name} at the DNS provider: it is not sender-auth's record`;
}

/** At least this long, a `p=` value is shown by its fingerprint in the table (an Ed25519 key is 44). */
const ABBREVIATE_FROM = 45;

/**
 * `value` with every long `p=` key in it written as its length and fingerprint, for the table: a
 * 2048-bit key is 392 characters that nobody compares by eye. JSON output keeps the whole value.
 */
export function abbreviateKeys(value: string): string {
  return value.replace(/(^|;)(\s*p=)([^;]*)/g, (whole, start: string, tag: string, key: string) => {
    // Verifiers drop white space inside p= (RFC 6376 §3.6.1), and so does the fingerprint.
    const base64 = key.replace(/\s+/g, "");
    if (base64.length < ABBREVIATE_FROM) return whole;
    const fingerprint = publicKeyFingerprint(base64);
    const label = fingerprint === undefined ? "not base64" : fingerprintLabel(fingerprint);
    return `${start}${tag}(${base64.length} characters, ${label})`;
  });
}
