/**
 * DMARC report destinations (`rua`, `ruf`; RFC 7489 §6.2, §6.4): parsing one URI, and which of them
 * need the destination's authorisation (RFC 7489 §7.1). Pure.
 */
import { domainNameProblem, isWithinDomain } from "../../records/names";

export type MailtoInspection =
  | { readonly ok: true; readonly host: string; readonly sizeLimit: string | undefined }
  | { readonly ok: false; readonly problem: string };

/** RFC 5322 dot-atom local part; `,` and `!` would break the URI list (RFC 7489 §6.2), so they must be %-encoded. */
const LOCAL_PART = /^(?:[A-Za-z0-9#$%&'*+/=?^_`{|}~-]+)(?:\.[A-Za-z0-9#$%&'*+/=?^_`{|}~-]+)*$/;

/**
 * Parses one `rua`/`ruf` destination. Only `mailto:` is accepted: it is the one scheme receivers must
 * support (RFC 7489 §6.2). An optional `!<size>[kmgt]` suffix is recognised (RFC 7489 §6.4).
 */
export function inspectMailto(uri: string): MailtoInspection {
  if (!uri.startsWith("mailto:")) {
    return { ok: false, problem: "is not a mailto: URI (DMARC receivers are only required to support mailto:)" };
  }
  const [address = "", size, extra] = uri.slice("mailto:".length).split("!");
  if (extra !== undefined || (size !== undefined && !/^[0-9]+[kmgt]?$/.test(size))) {
    return {
      ok: false,
      problem: "has a malformed size limit; it must be !<digits> optionally followed by k, m, g or t",
    };
  }
  const at = address.lastIndexOf("@");
  const local = address.slice(0, at);
  const host = address.slice(at + 1);
  if (at <= 0 || !LOCAL_PART.test(local)) {
    return { ok: false, problem: "does not hold an address local@domain (percent-encode , and ! inside it)" };
  }
  const hostProblem = domainNameProblem(host, { underscores: false });
  if (hostProblem !== undefined) return { ok: false, problem: `has a domain that ${hostProblem}` };
  return { ok: true, host, sizeLimit: size };
}

/** The hosts of `uris` outside `domain`: each receives reports only if it authorises them (RFC 7489 §7.1). */
export function externalDestinations(uris: readonly string[], domain: string): string[] {
  const hosts = uris.flatMap((uri) => {
    const inspection = inspectMailto(uri);
    return inspection.ok && !isWithinDomain(inspection.host, domain) ? [inspection.host] : [];
  });
  return [...new Set(hosts)];
}
