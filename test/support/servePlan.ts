/**
 * `pulumi up`'s stand-in for tests that follow the README or a command's hints: a real BIND serving a
 * stack's `plan --format bind` zone file, with the named.conf README "Serving the plan locally" shows.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { startNamedWith, type BindServer } from "./bind";

/** Starts named serving `zoneText` (a `plan --format bind` zone file) as the zone of `domain`. */
export function servePlan(domain: string, zoneText: string): Promise<BindServer> {
  return startNamedWith(
    (dir, port) => {
      writeFileSync(path.join(dir, `${domain}.zone`), zoneText);
      const conf = [
        "options {",
        `  directory "${dir}";`,
        '  pid-file "named.pid";',
        '  session-keyfile "session.key";',
        `  listen-on port ${port} { 127.0.0.1; };`,
        "  listen-on-v6 { none; };",
        "  recursion no;",
        "};",
        "controls { };",
        `zone "${domain}" { type primary; file "${domain}.zone"; };`,
        "",
      ].join("\n");
      writeFileSync(path.join(dir, "named.conf"), conf);
      return path.join(dir, "named.conf");
    },
    [domain],
  );
}
