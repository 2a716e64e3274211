/**
 * A DNS server as `check` and `rotate` address it, and the `host[:port]` form the command line gives
 * it in (`--resolver`). Kept apart from the DNS client, so that parsing the option loads no socket code.
 */
import { isIP } from "node:net";

export interface DnsServer {
  readonly host: string;
  readonly port: number;
}

/** Parses `host[:port]` / `[v6]:port`; undefined when malformed. */
export function parseServer(spec: string): DnsServer | undefined {
  const match =
    /^\[([^\]]+)\](?::(\d+))?$/.exec(spec) ??
    /^([^:]+)(?::(\d+))?$/.exec(spec) ??
    (isIP(spec) === 6 ? [spec, spec, undefined] : null);
  const host = match?.[1];
  const port = match?.[2] === undefined ? 53 : Number(match[2]);
  if (host === undefined || isIP(host) === 0 || !(port >= 1 && port <= 65535)) return undefined;
  return { host, port };
}
