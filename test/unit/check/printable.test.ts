/**
 * printable(): what DNS says is shown as data (issue #11): every control, C1, bidirectional and
 * invisible character escaped, everything else unchanged.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { printable } from "../../../cli/render/printable";

describe("printable", () => {
  const cases: readonly [string, string, string][] = [
    [
      "plain text and Latin-1 letters stay as they are",
      "v=spf1 ip4:192.0.2.1 -all café",
      "v=spf1 ip4:192.0.2.1 -all café",
    ],
    ["a newline cannot start a forged line", "x\n  OK    spf: forged line", "x\\n  OK    spf: forged line"],
    ["CR, tab", "a\rb\tc", "a\\rb\\tc"],
    ["ESC sequences (clear screen, set title) and BEL", "\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07"],
    ["NUL, DEL", "\x00\x7f", "\\x00\\x7f"],
    ["C1 controls (U+009B is a one-character CSI)", "\u009b31m\u0085", "\\x9b31m\\x85"],
    ["a backslash, so an escape stays unambiguous", "a\\nb", "a\\\\nb"],
    ["bidirectional overrides and isolates (CVE-2021-42574)", "a\u202eb\u2066c\u2069", "a\\u202eb\\u2066c\\u2069"],
    ["zero-width, LRM, line separator, BOM", "a\u200bb\u200ec\u2028d\ufeff", "a\\u200bb\\u200ec\\u2028d\\ufeff"],
  ];
  for (const [what, input, expected] of cases) {
    it(what, () => {
      assert.equal(printable(input), expected);
    });
  }
});
