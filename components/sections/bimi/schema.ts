/**
 * `sender-auth:bimi`: the brand logo receivers may show beside the domain's authenticated mail (BIMI,
 * draft-brand-indicators-for-message-identification). Schema and model. Pure.
 */
import { z } from "zod";
import { selectorProblem } from "../../records/names";
import { checkedString, httpsUrlProblem, HTTPS_URL_ALLOWED, type Check, type Resolved } from "../fields";

/** The selector receivers use when a message has no BIMI-Selector header (BIMI draft §7.2). */
export const DEFAULT_BIMI_SELECTOR = "default";

// `;` ends a tag (DKIM tag-list syntax, BIMI draft §4.3); `,` separated several URIs in earlier drafts.
const urlCheck: Check = (value) => httpsUrlProblem(value, [";", ","]);

export const bimiSchema = z.strictObject({
  /** `<selector>._bimi.<domain>`: messages name another one with a BIMI-Selector header. */
  selector: checkedString(selectorProblem).default(DEFAULT_BIMI_SELECTOR),
  /** `l=`: the logo, an SVG Tiny PS file served over HTTPS. */
  logo: checkedString(urlCheck),
  /** `a=`: the Verified Mark or Common Mark Certificate (PEM) that vouches for the logo. */
  authority: checkedString(urlCheck).optional(),
});

export type BimiConfig = Resolved<z.output<typeof bimiSchema>>;

export const BIMI_ALLOWED: Readonly<Record<string, string>> = {
  "": "an object with selector, logo, authority",
  selector: "a DNS label of lower-case letters, digits and hyphens, e.g. default or brand2",
  logo: `${HTTPS_URL_ALLOWED.replace("/path", "/logo.svg")} serving an SVG Tiny PS logo`,
  authority: `${HTTPS_URL_ALLOWED.replace("/path", "/vmc.pem")} serving the PEM of a VMC or CMC`,
};
