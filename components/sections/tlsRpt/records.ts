/** TLS-RPT record builder (RFC 8460 §3). Pure, no Pulumi imports. */
import { inspectMailto } from "../dmarc/reportUri";
import { httpsUrlProblem } from "../fields";
import type { TlsRptConfig } from "./schema";

/** The version tag every TLS-RPT record starts with; senders discard other TXT records (RFC 8460 §3). */
export const TLS_RPT_VERSION = "v=TLSRPTv1";

/** Owner name of the policy record (RFC 8460 §3). */
export function tlsRptRecordName(domain: string): string {
  return `_smtp._tls.${domain}`;
}

/** `v=TLSRPTv1; rua=<uri>,<uri>` (RFC 8460 §3): the URIs in config order. */
export function buildTlsRptValue(tlsRpt: TlsRptConfig): string {
  return `${TLS_RPT_VERSION}; rua=${tlsRpt.rua.join(",")}`;
}

/**
 * What is wrong with one `rua` destination (RFC 8460 §3): a `mailto:` address (RFC 6068) or an
 * `https:` endpoint reports are POSTed to; `,` separates URIs and `;` ends the field, so neither may
 * appear unencoded.
 */
export function reportUriProblem(uri: string): string | undefined {
  if (uri.startsWith("https:")) return httpsUrlProblem(uri, [",", ";"]);
  if (!uri.startsWith("mailto:")) {
    return "is neither a mailto: nor an https:// URI, the two schemes RFC 8460 §3 defines for rua";
  }
  if (uri.includes("!")) {
    return 'contains "!", which TLS-RPT does not define (DMARC\'s size limit); percent-encode it as %21';
  }
  if (uri.includes("?")) return "has ?headers, which TLS-RPT reporters do not use; give the address only";
  const inspection = inspectMailto(uri);
  return inspection.ok ? undefined : inspection.problem;
}

/** The `rua` URIs of a served record as a sender splits them (RFC 8460 §3: `,` with optional white space). */
export function ruaOf(value: string): string[] | undefined {
  const field = value
    .split(";")
    .map((part) => part.trim())
    .find((part) => part.startsWith("rua="));
  return field
    ?.slice("rua=".length)
    .split(",")
    .map((uri) => uri.trim())
    .filter((uri) => uri !== "");
}

/** Whether a served TXT value is a TLS-RPT record (RFC 8460 §3: it begins with `v=TLSRPTv1;`). */
export const isTlsRpt = (value: string): boolean => /^v=TLSRPTv1[ \t]*(?:;|$)/.test(value);
