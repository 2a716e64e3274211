/**
 * `sender-auth:mtaSts`: the domain's SMTP MTA Strict Transport Security policy (RFC 8461): whether
 * senders must deliver over TLS to an MX host they can authenticate, and which hosts those are.
 * Schema and model. Pure.
 */
import { z } from "zod";
import { checkedList, list, type Check, type Resolved } from "../fields";
import { mxPatternProblem } from "./records";

/** Policy modes (RFC 8461 §5): refuse unauthenticated delivery, only report it, or withdraw the policy. */
export const MTA_STS_MODES = ["enforce", "testing", "none"] as const;
export type MtaStsMode = (typeof MTA_STS_MODES)[number];

/** How long senders may cache the policy, in seconds (RFC 8461 §3.2: at most 31557600, a year). */
export const MTA_STS_MAX_AGE = { min: 86_400, max: 31_557_600, default: 604_800 } as const;

const mxCheck: Check = mxPatternProblem;

export const mtaStsSchema = z.strictObject({
  mode: z.enum(MTA_STS_MODES),
  /** The MX host names senders may deliver to: host names, or `*.suffix` for one label more. */
  mx: checkedList(mxCheck),
  maxAge: z.number().int().min(MTA_STS_MAX_AGE.min).max(MTA_STS_MAX_AGE.max).default(MTA_STS_MAX_AGE.default),
});

export type MtaStsConfig = Resolved<z.output<typeof mtaStsSchema>>;

export const MTA_STS_ALLOWED: Readonly<Record<string, string>> = {
  "": "an object with mode, mx, maxAge",
  mode: list(MTA_STS_MODES),
  mx: "a list of MX host names or *.suffix patterns",
  "mx[]": "a lower-case MX host name such as mail.example.com, or *.example.com for any host one label below it",
  maxAge: `whole seconds from ${MTA_STS_MAX_AGE.min} (a day) to ${MTA_STS_MAX_AGE.max} (a year)`,
};
