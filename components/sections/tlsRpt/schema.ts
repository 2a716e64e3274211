/** `sender-auth:tlsRpt`: where sending servers report failed SMTP TLS sessions (RFC 8460). Schema and model. Pure. */
import { z } from "zod";
import { checkedList, HTTPS_URL_ALLOWED, type Resolved } from "../fields";
import { reportUriProblem } from "./records";

export const tlsRptSchema = z.strictObject({
  /** Report destinations, `rua=` (RFC 8460 §3): `mailto:` addresses and `https:` endpoints. */
  // Required and never empty: checked on the raw input (index.ts), where a missing rua and an empty
  // one can be told apart; here the list defaults to empty.
  rua: checkedList(reportUriProblem),
});

export type TlsRptConfig = Resolved<z.output<typeof tlsRptSchema>>;

export const TLS_RPT_ALLOWED: Readonly<Record<string, string>> = {
  "": "an object with rua",
  rua: "a list of at least one mailto: or https:// URI",
  "rua[]": `a mailto: URI such as mailto:tlsrpt@example.com, or ${HTTPS_URL_ALLOWED.replace(/^an /, "")}`,
};
