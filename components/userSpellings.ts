/**
 * What a user coming from hand-written records writes, and what sender-auth calls it (issue 12): DMARC
 * tag names as keys under `sender-auth:dmarc` (`p`, `aspf`, …), SPF qualifiers as `spf.all` (`~all`),
 * a whole DKIM record pasted as `publicKey`. Each function returns the sentence that an "unknown key"
 * or invalid-value message adds, or undefined when the input is no such spelling. Pure: no Pulumi, no
 * config imports, so the message code in config.ts only has to call it.
 */
import { DMARC_ALIGNMENTS, DMARC_FAILURE_OPTIONS, DMARC_POLICIES } from "./sections/dmarc/schema";
import { SPF_ALL_VALUES } from "./sections/spf/schema";

type Path = readonly PropertyKey[];

/** The longest value a hint repeats. */
const MAX_SHOWN = 200;

/** A DMARC tag's config key, and how a tag value becomes that key's value (undefined: not one). */
interface TagSpelling {
  readonly key: string;
  /** The config value for a tag value, as YAML, or undefined when the value is not one the tag takes. */
  readonly value: (tagValue: unknown) => string | undefined;
  /** What the key takes, for a value that does not map. */
  readonly takes: string;
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value.trim().toLowerCase() : typeof value === "number" ? String(value) : undefined;

const oneOf =
  (values: readonly string[]) =>
  (tagValue: unknown): string | undefined => {
    const v = text(tagValue);
    return values.find((allowed) => allowed === v);
  };

const policyTag = (key: string): TagSpelling => ({
  key,
  value: oneOf(DMARC_POLICIES),
  takes: DMARC_POLICIES.join(", "),
});

/** `r`/`s` (RFC 7489 §6.3) → `relaxed`/`strict`. */
const alignmentTag = (key: string): TagSpelling => ({
  key,
  value: (tagValue) => DMARC_ALIGNMENTS.find((word) => word[0] === text(tagValue)),
  takes: DMARC_ALIGNMENTS.map((word) => `${word[0] ?? ""} → ${word}`).join(", "),
});

/** Tag name → config key under `sender-auth:dmarc` (RFC 7489 §6.3, RFC 9989 for `np` and `t`). */
export const DMARC_TAG_KEYS: Readonly<Record<string, TagSpelling>> = {
  p: policyTag("policy"),
  sp: policyTag("subdomainPolicy"),
  np: policyTag("nonexistentSubdomainPolicy"),
  pct: {
    key: "percent",
    value: (tagValue) => {
      const v = text(tagValue);
      return v !== undefined && /^\d{1,3}$/.test(v) && Number(v) <= 100 ? String(Number(v)) : undefined;
    },
    takes: "a whole number from 0 to 100",
  },
  adkim: alignmentTag("alignmentDKIM"),
  aspf: alignmentTag("alignmentSPF"),
  fo: {
    key: "failureOptions",
    value: (tagValue) => {
      const options = text(tagValue)?.split(":");
      const known = (o: string): boolean => DMARC_FAILURE_OPTIONS.some((allowed) => allowed === o);
      if (options === undefined || options.length > DMARC_FAILURE_OPTIONS.length || !options.every(known)) {
        return undefined;
      }
      return `[${options.map((o) => JSON.stringify(o)).join(", ")}]`;
    },
    takes: `a list of ${DMARC_FAILURE_OPTIONS.join(", ")}`,
  },
  t: {
    key: "testing",
    value: (tagValue) => {
      const v = tagValue === true ? "y" : tagValue === false ? "n" : text(tagValue);
      return v === "y" ? "true" : v === "n" ? "false" : undefined;
    },
    takes: "y → true, n → false",
  },
};

/** Tags that have no key, and why. */
const DMARC_TAGS_WITHOUT_KEY: Readonly<Record<string, string>> = {
  v: "v is the DMARC tag v=, which sender-auth always writes first (v=DMARC1): leave it out",
  rf: "rf is the DMARC tag rf= (failure report format), which RFC 9989 removed; sender-auth does not write it: leave it out",
  ri: "ri is the DMARC tag ri= (report interval), which RFC 9989 removed and receivers ignore (reports come daily); sender-auth does not write it: leave it out",
};

const isDmarcKey = (path: Path): boolean => path.length === 2 && path[0] === "dmarc" && typeof path[1] === "string";

/**
 * For an unknown key at `path` holding `value`: which key to use instead, when the key is a DMARC tag
 * name under `sender-auth:dmarc`.
 */
export function unknownKeyHint(path: Path, value: unknown): string | undefined {
  if (!isDmarcKey(path)) return undefined;
  const tag = String(path[1]).toLowerCase();
  // Own properties only: a key named __proto__ or toString must not find Object.prototype's.
  if (Object.hasOwn(DMARC_TAGS_WITHOUT_KEY, tag)) return DMARC_TAGS_WITHOUT_KEY[tag];
  const spelling = Object.hasOwn(DMARC_TAG_KEYS, tag) ? DMARC_TAG_KEYS[tag] : undefined;
  if (spelling === undefined) return undefined;
  const mapped = spelling.value(value);
  return mapped === undefined
    ? `${tag} is the DMARC tag ${tag}=; write ${spelling.key} instead (${spelling.takes})`
    : `${tag} is the DMARC tag ${tag}=; write ${spelling.key}: ${mapped} instead`;
}

/** SPF's qualifiers (RFC 7208 §4.6.2) → the word `spf.all` takes; `+` has none. */
const SPF_QUALIFIER_WORDS: Readonly<Record<string, (typeof SPF_ALL_VALUES)[number]>> = {
  "-": "fail",
  "~": "softfail",
  "?": "neutral",
};

function spfAllHint(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^\s*([-~?+]?)(?:all)?\s*$/i.exec(value);
  if (match === null || value.trim() === "") return undefined;
  const qualifier = match[1] ?? "";
  const shown = `${qualifier}all`;
  const word = SPF_QUALIFIER_WORDS[qualifier];
  if (word !== undefined) return `${shown} is SPF's spelling of ${word}: write all: ${word}`;
  // `all` alone has the default qualifier `+` (RFC 7208 §4.6.2).
  return `${shown} lets every host on the Internet pass SPF as this domain, so sender-auth does not offer it: list your senders (ip4, ip6, include) and end with all: softfail or all: fail`;
}

/** The base64 characters of a long key as `MIIBIjANBgkq…IDAQAB`, with its length. */
export function shortKey(key: string): string {
  return key.length <= 24 ? key : `${key.slice(0, 12)}…${key.slice(-6)} (${key.length} characters)`;
}

/**
 * The tags of a DKIM record pasted as text, as a zone file or a provider's console shows it:
 * optional parentheses, quoted character-strings joined, whitespace inside `p=` removed (RFC 6376
 * §3.6.1 allows it there).
 */
function pastedDkimTags(value: string): Map<string, string> | undefined {
  let record = value
    .trim()
    .replace(/^\(|\)$/g, "")
    .trim();
  if (record.startsWith('"')) {
    const strings = [...record.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? "");
    record = strings.join("");
  }
  const tags = new Map<string, string>();
  for (const part of record.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).replace(/\s+/g, ""));
  }
  return /^v=DKIM1\b/i.test(record) || tags.has("p") ? tags : undefined;
}

function publicKeyHint(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const tags = pastedDkimTags(value);
  if (tags === undefined) return undefined;
  const key = tags.get("p");
  if (key === undefined) {
    return "this is a DKIM record without a p= tag: publicKey is the base64 key of its p= tag alone";
  }
  if (key === "") {
    return "this is a revoked DKIM record (empty p=): set status: revoked and leave publicKey out";
  }
  const algorithm = tags.get("k");
  const also = algorithm !== undefined && algorithm !== "rsa" ? `, with algorithm: ${algorithm}` : "";
  return `this is a whole DKIM record; give only its p= value: publicKey: ${shortKey(key)}${also}`;
}

const isPublicKeyPath = (path: Path): boolean =>
  path.length === 4 && path[0] === "dkim" && path[1] === "selectors" && path[3] === "publicKey";

/** `rua: mailto:a@example.com` (the DMARC record's spelling) for a key that takes a list. */
function reportListHint(key: string, value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  // A message repeats a value only as long as one line can show it.
  if (value.length > MAX_SHOWN) return `write a list: ${key}: ["mailto:…", "mailto:…"]`;
  const uris = value.split(",").map((uri) => JSON.stringify(uri.trim()));
  return `write a list: ${key}: [${uris.join(", ")}]`;
}

/** Config keys whose value a user may write as the DMARC tag's value (`alignmentSPF: s`), by key. */
const TAG_OF_KEY: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DMARC_TAG_KEYS).map(([tag, spelling]) => [spelling.key, tag]),
);

/** `alignmentSPF: s`, `testing: y`: the tag's value under the key's name. */
function tagValueHint(key: string, value: unknown): string | undefined {
  const tag = Object.hasOwn(TAG_OF_KEY, key) ? TAG_OF_KEY[key] : undefined;
  const spelling = tag === undefined ? undefined : DMARC_TAG_KEYS[tag];
  if (tag === undefined || spelling === undefined || typeof value !== "string") return undefined;
  const mapped = spelling.value(value);
  // Only short values map, so the value shown is short too (trimmed: it may be padded).
  return mapped === undefined || mapped === value
    ? undefined
    : `${tag}=${value.trim()} is written ${key}: ${mapped} here`;
}

/** For a bad value at `path`: the spelling sender-auth uses for what the user wrote, if it is one. */
export function valueHint(path: Path, value: unknown): string | undefined {
  if (path.length === 2 && path[0] === "spf" && path[1] === "all") return spfAllHint(value);
  if (isPublicKeyPath(path)) return publicKeyHint(value);
  if (!isDmarcKey(path)) return undefined;
  const key = String(path[1]);
  return key === "rua" || key === "ruf" ? reportListHint(key, value) : tagValueHint(key, value);
}
