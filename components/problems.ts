/**
 * A problem found in a stack's configuration, before it is worded for the stack (config.ts): the key
 * path it belongs to, what is wrong and, where known, the bad value and what is allowed. Record
 * families (sections/) and providers (providers/) report their findings in this form. Pure.
 */

export interface KeyProblem {
  /** Key path below `sender-auth:`, e.g. `["dkim", "selectors", "s1", "status"]`. */
  readonly path: readonly PropertyKey[];
  /** What is wrong. */
  readonly message: string;
  /** The bad value, shown as `(got …)`; left out when the message says it or when it must not be shown. */
  readonly value?: unknown;
  /** What is allowed; defaults to the key's description (ALLOWED), and "" says nothing. */
  readonly allowed?: string;
}

/** A bad value as it appears in messages: JSON, shortened; never a private key written in the wrong place. */
export function showValue(value: unknown): string {
  // JSON.stringify returns undefined for undefined and functions, whatever its declared type says.
  const text = (JSON.stringify(value) as string | undefined) ?? String(value);
  if (/PRIVATE KEY-----/.test(text)) return "a PEM private key, not shown";
  if (typeof value === "string" && value.length > 72) return JSON.stringify(`${value.slice(0, 60)}...`);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
