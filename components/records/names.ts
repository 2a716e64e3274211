/**
 * Domain name and selector checks (RFC 1035 §2.3.4 sizes, RFC 5321 §4.1.2 sub-domain syntax,
 * RFC 6376 §3.1 selectors). Pure functions returning a problem description or undefined.
 */
import { domainToASCII } from "node:url";

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
  if (lower.length > 253) return `is ${lower.length} characters long; a domain name has at most 253`;
  const labels = lower.split(".");
  if (labels.length < 2) return "needs at least two labels, such as example.com";
  const pattern = rules.underscores ? SERVICE_LABEL : LDH_LABEL;
  for (const label of labels) {
    if (label.length === 0) return "has an empty label (two dots in a row)";
    if (label.length > 63) return `has a label of ${label.length} characters; at most 63 are allowed`;
    if (!pattern.test(label)) {
      return `has an invalid label "${label}": use letters, digits and hyphens${rules.underscores ? " (and a leading underscore)" : ""}, not starting or ending with a hyphen`;
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? "")) return "must not end in a numeric label (it looks like an IP address)";
  if (value !== lower) return `must be lower case; use "${lower}"`;
  return undefined;
}

/** What is wrong with a DKIM selector (RFC 6376 §3.1: `sub-domain *("." sub-domain)`), or undefined. */
export function selectorProblem(selector: string): string | undefined {
  if (selector.length === 0) return "must not be empty";
  const lower = selector.toLowerCase();
  for (const label of lower.split(".")) {
    if (label.length > 63) return `has a label of ${label.length} characters; at most 63 are allowed`;
    if (!LDH_LABEL.test(label)) {
      return "must be DNS labels of letters, digits and hyphens, not starting or ending with a hyphen, separated by dots (RFC 6376 §3.1)";
    }
  }
  if (selector !== lower) return `must be lower case; use "${lower}"`;
  return undefined;
}

/** True when `host` is `domain` or lies below it. */
export function isWithinDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}
