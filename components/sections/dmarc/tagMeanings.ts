/**
 * What a change of each DMARC tag means for mail, in words, and whether it weakens the domain's
 * protection or the owner's view of it (issue #12). Tags as RFC 7489 §6.3 defines them, with `np` and
 * `t` from RFC 9989. Pure.
 */

/** One sentence about one tag, and whether the change weakens. */
export interface TagMeaning {
  readonly text: string;
  readonly weakens: boolean;
}

const POLICY_RANK: Readonly<Record<string, number>> = { none: 0, quarantine: 1, reject: 2 };
const POLICY_STATE: Readonly<Record<string, string>> = {
  none: "delivered as usual (no enforcement, reports only)",
  quarantine: "treated as suspicious (spam folder or quarantine)",
  reject: "rejected",
};
const FAILURE_OPTION: Readonly<Record<string, string>> = {
  "0": "SPF and DKIM both fail to produce an aligned pass",
  "1": "either SPF or DKIM fails to produce an aligned pass",
  d: "a DKIM signature fails to verify",
  s: "SPF fails",
};

type Tags = ReadonlyMap<string, string>;

/** The value a receiver uses when the tag is absent (RFC 7489 §6.3, RFC 9989 for np and t). */
function effective(tags: Tags, tag: string): string | undefined {
  switch (tag) {
    case "sp":
      return tags.get("sp") ?? tags.get("p");
    case "np":
      return tags.get("np") ?? tags.get("sp") ?? tags.get("p");
    case "pct":
      return tags.get("pct") ?? "100";
    case "t":
      return tags.get("t") ?? "n";
    case "adkim":
    case "aspf":
      return tags.get(tag) ?? "r";
    case "fo":
      return tags.get("fo") ?? "0";
    default:
      return tags.get(tag);
  }
}

const uris = (value: string | undefined): string[] =>
  (value ?? "")
    .split(",")
    .map((uri) => uri.trim())
    .filter((uri) => uri !== "");

function policyMeaning(tag: "p" | "sp" | "np", before: Tags, after: Tags, domain: string): TagMeaning {
  const b = effective(before, tag) ?? "none";
  const a = effective(after, tag) ?? "none";
  // Without sp (and np) of their own, subdomains follow p, so a change of p is theirs too.
  const whose = {
    p: after.has("sp") ? `mail from ${domain}` : `mail from ${domain} and its subdomains (there is no sp)`,
    sp: `mail from subdomains of ${domain}`,
    np: `mail from non-existent subdomains of ${domain}`,
  }[tag];
  const fallback = tag === "np" ? "sp, or else p" : "p";
  if (a === b) {
    return { text: `no change in effect: ${whose} stays at ${a} (an absent ${tag} means ${fallback})`, weakens: false };
  }
  const text = `${whose} that fails DMARC is now ${POLICY_STATE[a] ?? a}, not ${POLICY_STATE[b] ?? b}`;
  return { text, weakens: (POLICY_RANK[a] ?? 0) < (POLICY_RANK[b] ?? 0) };
}

function percentMeaning(before: Tags, after: Tags): TagMeaning {
  const b = Number(effective(before, "pct"));
  const a = Number(effective(after, "pct"));
  const text =
    `the policy now applies to ${a}% of the mail that fails DMARC (was ${b}%); the rest gets the next weaker ` +
    "policy (RFC 7489 §6.6.4), and receivers following RFC 9989, which removed pct, ignore it";
  return { text, weakens: a < b };
}

function testingMeaning(before: Tags, after: Tags): TagMeaning {
  const on = effective(after, "t") === "y";
  const wasOn = effective(before, "t") === "y";
  if (on === wasOn) return { text: `no change in effect: testing mode stays ${on ? "on" : "off"}`, weakens: false };
  return on
    ? {
        text: "testing mode on: receivers apply one level less than the policy (reject as quarantine, quarantine as none; RFC 9989)",
        weakens: true,
      }
    : { text: "testing mode off: receivers apply the policy as published (RFC 9989)", weakens: false };
}

function alignmentMeaning(tag: "adkim" | "aspf", before: Tags, after: Tags, domain: string): TagMeaning {
  const strict = effective(after, tag) === "s";
  const wasStrict = effective(before, tag) === "s";
  const what = tag === "adkim" ? "a DKIM signature's d= domain" : "the envelope sender (MAIL FROM) domain";
  const mode = (isStrict: boolean): string => (isStrict ? "strict" : "relaxed");
  if (strict === wasStrict) return { text: `no change in effect: alignment stays ${mode(strict)}`, weakens: false };
  return strict
    ? {
        text:
          `strict ${tag === "adkim" ? "DKIM" : "SPF"} alignment: ${what} must be exactly ${domain}; ` +
          "mail where it is a subdomain or parent now fails this check",
        weakens: false,
      }
    : {
        text:
          `relaxed ${tag === "adkim" ? "DKIM" : "SPF"} alignment: ${what} now aligns when it shares ` +
          `${domain}'s organizational domain, not only when it is exactly ${domain}`,
        weakens: true,
      };
}

function reportsMeaning(tag: "rua" | "ruf", before: Tags, after: Tags): TagMeaning {
  const kind = tag === "rua" ? "aggregate reports" : "failure reports";
  const b = uris(before.get(tag));
  const a = uris(after.get(tag));
  const removed = b.filter((uri) => !a.includes(uri));
  const added = a.filter((uri) => !b.includes(uri));
  if (a.length === 0) {
    return {
      text: `no ${kind} any more: ${tag === "rua" ? "failures and forgeries of the domain go unseen" : "nobody receives samples of failing mail"}`,
      weakens: true,
    };
  }
  const parts: string[] = [];
  if (removed.length > 0) parts.push(`${kind} no longer go to ${removed.join(", ")}`);
  if (added.length > 0) parts.push(`${kind} now also go to ${added.join(", ")}`);
  if (parts.length === 0) parts.push(`the same destinations for ${kind}, in another order or form`);
  return { text: parts.join("; "), weakens: removed.length > 0 };
}

function failureOptionsMeaning(before: Tags, after: Tags): TagMeaning {
  const options = (value: string | undefined): string[] => (value ?? "0").split(":").map((o) => o.trim());
  const describe = (value: string | undefined): string =>
    options(value)
      .map((option) => FAILURE_OPTION[option] ?? `option ${option}`)
      .join(", or ");
  return {
    text: `failure reports are now asked for when ${describe(effective(after, "fo"))} (was: when ${describe(effective(before, "fo"))})`,
    weakens: false,
  };
}

/** What changing `tag` from its value in `before` to its value in `after` means. */
export function dmarcTagMeaning(tag: string, before: Tags, after: Tags, domain: string): TagMeaning | undefined {
  switch (tag) {
    case "p":
    case "sp":
    case "np":
      return policyMeaning(tag, before, after, domain);
    case "pct":
      return percentMeaning(before, after);
    case "t":
      return testingMeaning(before, after);
    case "adkim":
    case "aspf":
      return alignmentMeaning(tag, before, after, domain);
    case "rua":
    case "ruf":
      return reportsMeaning(tag, before, after);
    case "fo":
      return failureOptionsMeaning(before, after);
    default:
      return undefined;
  }
}
