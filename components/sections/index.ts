/**
 * The record families sender-auth publishes, in the order their problems, records, warnings, diff
 * meanings and live checks appear (the stack schema lists required keys first: domain, dns, then the
 * rest in this order). A new family is one section module and one line here, at the end
 * (docs/sections.md).
 */
import { bimi } from "./bimi";
import { dkim } from "./dkim";
import { dmarc } from "./dmarc";
import { dns } from "./dns";
import { mtaSts } from "./mtaSts";
import { spf } from "./spf";
import { tlsRpt } from "./tlsRpt";

// dns after spf: the meanings of a TTL, zone or provider change have always followed SPF's.
export const SECTIONS = [spf, dns, dkim, dmarc, mtaSts, tlsRpt, bimi] as const;

export type { AnySection, Section } from "./types";
