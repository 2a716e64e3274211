/** `sender-auth:spf`: which hosts may send mail for the domain (RFC 7208). Schema and model. Pure. */
import { z } from "zod";
import { checkedList, checkedString, hostCheck, HOST_ALLOWED, list, type Resolved } from "../fields";
import { ip4Problem, ip6Problem } from "./records";

/**
 * What SPF says about mail from hosts no mechanism matched (`sender-auth:spf.all`, RFC 7208 §4.6.2).
 * `pass` (`+all`) is deliberately absent: it authorises every host on the internet.
 */
export const SPF_ALL_VALUES = ["fail", "softfail", "neutral"] as const;
export type SpfAll = (typeof SPF_ALL_VALUES)[number];

export const spfSchema = z.strictObject({
  ip4: checkedList(ip4Problem),
  ip6: checkedList(ip6Problem),
  a: z.boolean().default(false),
  mx: z.boolean().default(false),
  include: checkedList(hostCheck),
  exists: checkedList(hostCheck),
  /**
   * Undefined exactly when `redirect` is set: a record ends in `all` or in `redirect=`, since `all`
   * ends evaluation and a redirect beside it is ignored (RFC 7208 §5.1, §6.1).
   */
  all: z.enum(SPF_ALL_VALUES).optional(),
  redirect: checkedString(hostCheck).optional(),
});

export type SpfConfig = Resolved<z.output<typeof spfSchema>>;

export const SPF_ALLOWED: Readonly<Record<string, string>> = {
  "": "an object with ip4, ip6, a, mx, include, exists, all, redirect",
  ip4: "a list of IPv4 addresses or CIDR ranges",
  "ip4[]": "an IPv4 address or CIDR range such as 192.0.2.1 or 192.0.2.0/24",
  ip6: "a list of IPv6 addresses or CIDR ranges",
  "ip6[]": "a lower-case IPv6 address or CIDR range such as 2001:db8::/32",
  a: "true or false",
  mx: "true or false",
  include: "a list of host names",
  "include[]": HOST_ALLOWED,
  exists: "a list of host names",
  "exists[]": HOST_ALLOWED,
  all: list(SPF_ALL_VALUES),
  redirect: HOST_ALLOWED,
};
