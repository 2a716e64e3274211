/** The tag-list syntax of DKIM key records (RFC 6376 §3.2), which DMARC records share (RFC 7489 §6.3). Pure. */

/**
 * The `tag=value` pairs of a tag-list. White space inside values is dropped: base64 in `p=` may be
 * folded.
 */
export function parseTagList(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) tags.set(part.slice(0, eq).trim(), part.slice(eq + 1).replace(/\s+/g, ""));
  }
  return tags;
}
