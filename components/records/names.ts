/**
 * Domain name and selector checks (RFC 1035 §2.3.4 sizes, RFC 5321 §4.1.2 sub-domain syntax,
 * RFC 6376 §3.1 selectors, RFC 5890 A-labels). Pure functions returning a problem description or undefined.
 */
import { domainToASCII } from "node:url";
// The userland package (trailing slash), not Node's deprecated built-in `punycode` module.
import { decode as decodePunycode } from "punycode/";

/** RFC 1035 §2.3.4: a name is at most 255 octets on the wire ... */
export const MAX_NAME_OCTETS = 255;
/** ... which is 253 characters in presentation form without the root dot (a length octet per label, one root octet). */
export const MAX_NAME_LENGTH = MAX_NAME_OCTETS - 2;
/** RFC 1035 §2.3.4: a label is at most 63 octets. */
export const MAX_LABEL_LENGTH = 63;

const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Service labels such as `_spf` or `_domainkey` are legal in host names SPF and CNAME targets point at. */
const SERVICE_LABEL = /^_?[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;

export interface NameRules {
  /** Allow `_` in labels (targets such as `_spf.google.com`); the policy domain itself never has one. */
  readonly underscores: boolean;
}

/** What is wrong with a fully-qualified domain name, or undefined if it is acceptable. */
export function domainNameProblem(value: string, rules: NameRules): string | undefined {
  if (value.length === 0) return "must not be empty";
  if (value.endsWith(".")) return `must not end with a dot; use "${value.replace(/\.+$/, "")}"`;
  if (/[^\x20-\x7e]/.test(value)) {
    const ascii = domainToASCII(value);
    return ascii ? `must be in Punycode; use "${ascii}"` : "contains characters that are not allowed in a domain name";
  }
  // Judge the lower-case spelling first, so the case hint never suggests another invalid name.
  const lower = value.toLowerCase();
  if (lower.length > MAX_NAME_LENGTH) {
    return `is ${lower.length} characters long; a domain name has at most ${MAX_NAME_LENGTH} (RFC 1035 §2.3.4)`;
  }
  const labels = lower.split(".");
  if (labels.length < 2) return "needs at least two labels, such as example.com";
  const pattern = rules.underscores ? SERVICE_LABEL : LDH_LABEL;
  for (const label of labels) {
    if (label.length === 0) return "has an empty label (two dots in a row)";
    if (label.length > MAX_LABEL_LENGTH) {
      return `has a label of ${label.length} characters; at most ${MAX_LABEL_LENGTH} are allowed`;
    }
    if (!pattern.test(label)) {
      const underscore = rules.underscores ? " (and a leading underscore)" : "";
      return (
        `has an invalid label "${label}": use letters, digits and hyphens${underscore}, ` +
        "not starting or ending with a hyphen"
      );
    }
    const punycode = aLabelProblem(label);
    if (punycode !== undefined) return punycode;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? "")) {
    return "must not end in a numeric label (it looks like an IP address)";
  }
  if (value !== lower) return `must be lower case; use "${lower}"`;
  return undefined;
}

/** What is wrong with a DKIM selector (RFC 6376 §3.1: `sub-domain *("." sub-domain)`), or undefined. */
export function selectorProblem(selector: string): string | undefined {
  if (selector.length === 0) return "must not be empty";
  const lower = selector.toLowerCase();
  for (const label of lower.split(".")) {
    if (label.length > MAX_LABEL_LENGTH) {
      return `has a label of ${label.length} characters; at most ${MAX_LABEL_LENGTH} are allowed`;
    }
    if (!LDH_LABEL.test(label)) {
      return "must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1)";
    }
    const punycode = aLabelProblem(label);
    if (punycode !== undefined) return punycode;
  }
  if (selector !== lower) return `must be lower case; use "${lower}"`;
  return undefined;
}

/**
 * What is wrong with a lower-case label that claims to be Punycode (`xn--`), or undefined. RFC 5890
 * §2.3.2.1: an A-label is exactly what converting its U-label to ASCII yields, so it must decode
 * (RFC 3492) and round-trip unchanged; Node's `domainToASCII` applies UTS #46, as browsers do.
 */
export function aLabelProblem(label: string): string | undefined {
  if (!label.startsWith("xn--")) return undefined;
  let unicode: string;
  try {
    unicode = decodePunycode(label.slice("xn--".length));
  } catch {
    return `has an invalid Punycode label "${label}": "${label.slice(4)}" does not decode (RFC 3492)`;
  }
  const ascii = domainToASCII(unicode);
  if (ascii === label) return undefined;
  // Invisible and control characters are shown as code points, so the message says what is there.
  const shown =
    unicode === ""
      ? "nothing"
      : `"${unicode.replace(/[\p{C}\p{Z}]/gu, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`)}"`;
  return ascii === "" || ascii.includes(".")
    ? `has an invalid Punycode label "${label}": it decodes to ${shown}, which IDNA does not allow in a ` +
        "domain name (RFC 5891 §5.4)"
    : `has an invalid Punycode label "${label}": it decodes to ${shown}, which converts back to "${ascii}", ` +
        `not "${label}" (RFC 5890 §2.3.2.1: an A-label must round-trip)`;
}

/**
 * What is wrong with the full length of `name`, a name sender-auth publishes a record at, or
 * undefined. Labels sender-auth adds (`_domainkey`, `_dmarc`, `_report`) count too.
 */
export function nameLengthProblem(name: string): string | undefined {
  if (name.length <= MAX_NAME_LENGTH) return undefined;
  return `${name.length} characters (${name.length + 2} octets on the wire); RFC 1035 §2.3.4 allows at most ${MAX_NAME_LENGTH} (${MAX_NAME_OCTETS} octets)`;
}

/** How long `part` of `name` may be for the whole name to fit (RFC 1035 §2.3.4), given the rest of it. */
export function lengthBudget(name: string, part: string): number {
  return MAX_NAME_LENGTH - (name.length - part.length);
}

/** The shortest domain name sender-auth accepts (two one-letter labels, e.g. a.b). */
export const SHORTEST_DOMAIN = 3;

/** True when `host` is `domain` or lies below it. */
export function isWithinDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}
