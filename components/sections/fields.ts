/**
 * Building blocks of the families' config schemas: checked strings and lists whose problems become
 * the messages, the value checks more than one family uses, and their allowed texts. Pure.
 */
import { z } from "zod";
import { domainNameProblem } from "../records/names";

/** What is wrong with one value, or undefined when it is acceptable. */
export type Check = (value: string) => string | undefined;

/** A string checked by `check`; the problem text becomes the issue message. */
export function checkedString(check: Check) {
  return z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, input: value });
  });
}

/** A list of strings, each checked, duplicates refused (they would collide as records or mean a typo). */
export function checkedList(check: Check) {
  return z
    .array(z.string())
    .default([])
    .superRefine((values, ctx) => {
      const seen = new Set<string>();
      values.forEach((value, index) => {
        const problem = check(value);
        if (problem !== undefined) ctx.addIssue({ code: "custom", path: [index], message: problem, input: value });
        else if (seen.has(value)) {
          ctx.addIssue({ code: "custom", path: [index], message: "is listed twice", input: value });
        }
        seen.add(value);
      });
    });
}

/** A domain sender-auth publishes for or at: no underscores. */
export const domainCheck: Check = (value) => domainNameProblem(value, { underscores: false });

/** A host a record points at (`include:`, a CNAME target): service labels such as `_spf` allowed. */
export const hostCheck: Check = (value) =>
  value.includes("%")
    ? "uses an SPF macro, which sender-auth does not support"
    : domainNameProblem(value, { underscores: true });

export const isoDateCheck: Check = (value) =>
  /^\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2}))?$/.test(value) && !Number.isNaN(Date.parse(value))
    ? undefined
    : "is not an ISO 8601 date";

/** Allowed values as a message lists them: `a, b, c`. */
export const list = (values: readonly string[]): string => values.join(", ");

export const DOMAIN_ALLOWED = "a lower-case domain name in Punycode without trailing dot, e.g. example.com";
export const HOST_ALLOWED = "a lower-case host name, e.g. _spf.google.com";
export const ISO_DATE_ALLOWED = "an ISO 8601 date such as 2026-11-28";
export const BOOLEAN_ALLOWED = "true or false";

/**
 * A family's model from its schema's output: every key present (an unset optional one is undefined)
 * and read-only, lists included, so the model is the schema's type and not a second declaration.
 */
export type Resolved<T> = {
  readonly [K in keyof T]-?: T[K] extends readonly (infer E)[] ? readonly E[] : T[K];
};

/**
 * What is wrong with an `https:` URL a record publishes (a TLS-RPT `rua`, a BIMI logo or certificate),
 * or undefined. Characters in `reserved` end the value in the record's syntax (`;` a tag-list tag,
 * `,` a TLS-RPT URI list), so they must be percent-encoded (RFC 3986 §2.1).
 */
export function httpsUrlProblem(value: string, reserved: readonly string[]): string | undefined {
  if (!value.startsWith("https://")) return "is not an https:// URL";
  if (!/^[\x21-\x7e]+$/.test(value)) {
    return "contains white space or characters outside printable ASCII; percent-encode them (RFC 3986 §2.1)";
  }
  const cut = reserved.find((c) => value.includes(c));
  if (cut !== undefined) {
    return `contains "${cut}", which ends the value in the record; percent-encode it as %${cut.charCodeAt(0).toString(16).toUpperCase()}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a valid URL (RFC 3986)";
  }
  if (url.username !== "" || url.password !== "") return "holds a user name or password, which DNS would publish";
  if (url.hash !== "" || value.includes("#")) return "has a #fragment, which is never sent to the server";
  const host = /^https:\/\/([^/?#:]*)/.exec(value)?.[1] ?? "";
  const hostProblem = domainNameProblem(host, { underscores: false });
  return hostProblem === undefined ? undefined : `has a host name that ${hostProblem}`;
}

export const HTTPS_URL_ALLOWED = "an https:// URL on a domain name, e.g. https://example.com/path";
