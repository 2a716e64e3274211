/**
 * TXT character-string handling shared by every record type and both providers: RFC 1035 §3.3
 * character-strings of at most 255 octets, which SPF, DKIM and DMARC consumers join with no separator.
 * Pure functions, no Pulumi imports.
 */

/** Maximum octets in one RFC 1035 <character-string> (§3.3: one length octet, then the data). */
export const MAX_CHARACTER_STRING = 255;

/**
 * Why a TXT value cannot be published verbatim, or undefined when it can. Only printable ASCII without
 * `"` and `\` is accepted, so characters equal octets and no presentation-format escaping is ever needed
 * (RFC 1035 §5.1: `"` and `\` would need escaping inside a quoted string).
 */
export function txtValueProblem(value: string): string | undefined {
  if (value.length === 0) return "must not be empty";
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) {
      return `contains a character outside printable ASCII at position ${i + 1} (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
    }
    if (code === 0x22 || code === 0x5c) {
      return `contains ${code === 0x22 ? "a double quote" : "a backslash"} at position ${i + 1}`;
    }
  }
  return undefined;
}

/**
 * Cuts a value into character-strings of at most 255 octets, greedily from the start, where Cloudflare
 * and Route53 cut too (terraform-provider-cloudflare#6238; Route 53 Developer Guide, TXT record type),
 * so that `chunks.join("") === value`: SPF, DKIM and DMARC consumers concatenate with no separator
 * (RFC 7208 §3.3, RFC 6376 §3.6.2.2, RFC 7489 §6.3).
 * The value must already satisfy {@link txtValueProblem}, which makes characters equal octets.
 */
export function splitCharacterStrings(value: string): string[] {
  if (value.length === 0) return [""];
  const chunks: string[] = [];
  for (let start = 0; start < value.length; start += MAX_CHARACTER_STRING) {
    chunks.push(value.slice(start, start + MAX_CHARACTER_STRING));
  }
  return chunks;
}

/** Presentation form: every character-string in double quotes, one space between (`"…" "…"`). */
export function quoteCharacterStrings(chunks: readonly string[]): string {
  return chunks.map((chunk) => `"${chunk}"`).join(" ");
}

/**
 * Parses RFC 1035 §5.1 presentation text (quoted or bare character-strings separated by white space,
 * with `\X` and `\DDD` escapes) back into the character-strings it denotes. Used to prove round trips
 * and to read provider payloads the way the provider would.
 */
export function parseCharacterStrings(text: string): string[] {
  const result: string[] = [];
  let i = 0;
  const readEscape = (): string => {
    const next = text[i + 1];
    if (next === undefined) throw new Error(`dangling backslash at the end of ${JSON.stringify(text)}`);
    if (/[0-9]/.test(next)) {
      const digits = text.slice(i + 1, i + 4);
      if (!/^[0-9]{3}$/.test(digits) || Number(digits) > 255) {
        throw new Error(`bad \\DDD escape at position ${i + 1} of ${JSON.stringify(text)}`);
      }
      i += 4;
      return String.fromCharCode(Number(digits));
    }
    i += 2;
    return next;
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === " " || ch === "\t") {
      i++;
      continue;
    }
    let current = "";
    if (ch === '"') {
      i++;
      for (;;) {
        const c = text[i];
        if (c === undefined) throw new Error(`unterminated quoted string in ${JSON.stringify(text)}`);
        if (c === '"') {
          i++;
          break;
        }
        if (c === "\\") current += readEscape();
        else {
          current += c;
          i++;
        }
      }
    } else {
      for (;;) {
        const c = text[i];
        if (c === undefined || c === " " || c === "\t") break;
        if (c === '"') throw new Error(`unexpected quote inside a bare string in ${JSON.stringify(text)}`);
        if (c === "\\") current += readEscape();
        else {
          current += c;
          i++;
        }
      }
    }
    if (Buffer.byteLength(current, "latin1") > MAX_CHARACTER_STRING) {
      throw new Error(
        `character-string of ${current.length} octets exceeds ${MAX_CHARACTER_STRING} in ${JSON.stringify(text)}`,
      );
    }
    result.push(current);
  }
  return result;
}
