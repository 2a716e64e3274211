/** The bounds of the unified diff `plan --check` prints (cli/render/unifiedDiff.ts, issue #12). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { paintFor } from "../../../cli/colour";
import { unifiedDiff } from "../../../cli/render/unifiedDiff";

const PLAIN = paintFor({ isTTY: false }, {});
const lines = (count: number, prefix: string): string =>
  Array.from({ length: count }, (_, i) => `${prefix} ${i}`).join("\n") + "\n";

describe("unifiedDiff", () => {
  it("a small change: headers, one hunk with two lines of context", () => {
    assert.deepEqual(unifiedDiff("a\nb\nc\nd\ne\n", "a\nb\nC\nd\ne\n", "old", "new", PLAIN), [
      "--- old",
      "+++ new",
      "@@ -1,5 +1,5 @@",
      " a",
      " b",
      "-c",
      "+C",
      " d",
      " e",
    ]);
  });

  it("at most 400 lines of difference, then how many more were left out", () => {
    const shown = unifiedDiff(lines(300, "old"), lines(300, "new"), "old", "new", PLAIN);
    assert.equal(shown.length, 2 + 400 + 1);
    assert.equal(shown[2], "@@ -1,300 +1,300 @@");
    assert.equal(shown.at(-1), "(201 more lines of difference not shown)");
  });

  it("texts over 2 MB are not diffed", () => {
    const big = "x".repeat(2 * 1024 * 1024 + 1);
    assert.deepEqual(unifiedDiff(big, "y\n", "old", "new", PLAIN), [
      "--- old",
      "+++ new",
      "(too large to show the difference)",
    ]);
  });
});
