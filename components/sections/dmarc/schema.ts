/** `sender-auth:dmarc`: the domain's DMARC policy and reports (RFC 7489, RFC 9989). Schema and model. Pure. */
import { z } from "zod";
import { checkedList, domainCheck, DOMAIN_ALLOWED, list, type Check, type Resolved } from "../fields";
import { inspectMailto } from "./reportUri";

/** DMARC policies (`p=`, `sp=`, `np=`; RFC 7489 §6.3, RFC 9989). */
export const DMARC_POLICIES = ["none", "quarantine", "reject"] as const;
export type DmarcPolicy = (typeof DMARC_POLICIES)[number];

/** DMARC identifier alignment modes (`adkim=`, `aspf=`). */
export const DMARC_ALIGNMENTS = ["relaxed", "strict"] as const;
export type DmarcAlignment = (typeof DMARC_ALIGNMENTS)[number];

/** DMARC failure reporting options (`fo=`, RFC 7489 §6.3). */
export const DMARC_FAILURE_OPTIONS = ["0", "1", "d", "s"] as const;
export type DmarcFailureOption = (typeof DMARC_FAILURE_OPTIONS)[number];

const mailtoCheck: Check = (value) => {
  const inspection = inspectMailto(value);
  return inspection.ok ? undefined : inspection.problem;
};

const policy = z.enum(DMARC_POLICIES);
const alignment = z.enum(DMARC_ALIGNMENTS);

/** fo= values are strings, but YAML turns a bare `1` into a number: accept that one spelling too. */
const failureOption = z.preprocess(
  (value) => (value === 0 || value === 1 ? String(value) : value),
  z.enum(DMARC_FAILURE_OPTIONS),
);

export const dmarcSchema = z.strictObject({
  policy,
  subdomainPolicy: policy.optional(),
  nonexistentSubdomainPolicy: policy.optional(),
  testing: z.boolean().default(false),
  percent: z.number().int().min(0).max(100).optional(),
  rua: checkedList(mailtoCheck),
  ruf: checkedList(mailtoCheck),
  alignmentSPF: alignment.optional(),
  alignmentDKIM: alignment.optional(),
  failureOptions: z.array(failureOption).default([]),
  /** Other domains whose reports this domain receives: it publishes their authorisation records. */
  authorizeReportsFor: checkedList(domainCheck),
});

export type DmarcConfig = Resolved<z.output<typeof dmarcSchema>>;

const MAILTO_ALLOWED = "a mailto: URI such as mailto:dmarc@example.com";

export const DMARC_ALLOWED: Readonly<Record<string, string>> = {
  "":
    "an object with policy, subdomainPolicy, nonexistentSubdomainPolicy, testing, percent, rua, ruf, " +
    "alignmentSPF, alignmentDKIM, failureOptions, authorizeReportsFor",
  policy: list(DMARC_POLICIES),
  subdomainPolicy: list(DMARC_POLICIES),
  nonexistentSubdomainPolicy: list(DMARC_POLICIES),
  testing: "true or false",
  percent: "a whole number from 0 to 100",
  rua: "a list of mailto: URIs",
  "rua[]": MAILTO_ALLOWED,
  ruf: "a list of mailto: URIs",
  "ruf[]": MAILTO_ALLOWED,
  alignmentSPF: list(DMARC_ALIGNMENTS),
  alignmentDKIM: list(DMARC_ALIGNMENTS),
  failureOptions: "a list of fo= options",
  "failureOptions[]": list(DMARC_FAILURE_OPTIONS),
  authorizeReportsFor: "a list of domain names",
  "authorizeReportsFor[]": DOMAIN_ALLOWED,
};
