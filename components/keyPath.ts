/**
 * The one spelling of a config key path: `pulumi config --path` syntax, as every message, every
 * `pulumi config` call and every stack-file reader names a key. Pure.
 */
import { PROJECT } from "./model";

/** A name that `--path` writes after a dot; any other is written as a quoted index. */
const PLAIN_SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `head` followed by the segments below it: `.name`, `["a.b"]`, `[2]`. */
export function pathBelow(head: string, rest: readonly PropertyKey[]): string {
  return rest.reduce<string>((out, segment) => {
    if (typeof segment === "number") return `${out}[${segment}]`;
    const text = String(segment);
    return PLAIN_SEGMENT.test(text) ? `${out}.${text}` : `${out}[${JSON.stringify(text)}]`;
  }, head);
}

/** `sender-auth:dkim.selectors.s1.status`, `sender-auth:spf.ip4[2]`, `sender-auth:dkim.selectors["a.b"]`. */
export function keyPath(path: readonly PropertyKey[], namespace: string = PROJECT): string {
  const [first, ...rest] = path;
  if (first === undefined) return namespace;
  return pathBelow(typeof first === "number" ? `${namespace}[${first}]` : `${namespace}:${String(first)}`, rest);
}
