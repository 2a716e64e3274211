/** When the CLI colours its output (cli/colour.ts, issue #12): NO_COLOR, FORCE_COLOR, TERM and the terminal. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { colourEnabled, paintFor } from "../../../cli/colour";

const ROWS: readonly { env: Record<string, string>; tty: boolean; colour: boolean }[] = [
  { env: {}, tty: true, colour: true },
  { env: {}, tty: false, colour: false },
  { env: { NO_COLOR: "1" }, tty: true, colour: false },
  { env: { NO_COLOR: "" }, tty: true, colour: true },
  { env: { NO_COLOR: "1", FORCE_COLOR: "1" }, tty: true, colour: false },
  { env: { FORCE_COLOR: "0" }, tty: true, colour: false },
  { env: { FORCE_COLOR: "false" }, tty: true, colour: false },
  { env: { FORCE_COLOR: "1" }, tty: false, colour: true },
  { env: { FORCE_COLOR: "" }, tty: false, colour: true },
  { env: { FORCE_COLOR: "3" }, tty: false, colour: true },
  { env: { TERM: "dumb" }, tty: true, colour: false },
  { env: { TERM: "xterm-256color" }, tty: true, colour: true },
];

describe("colourEnabled", () => {
  for (const row of ROWS) {
    it(`${JSON.stringify(row.env)} ${row.tty ? "terminal" : "pipe"} → ${row.colour ? "colour" : "none"}`, () => {
      assert.equal(colourEnabled({ isTTY: row.tty }, row.env), row.colour);
    });
  }

  it("paintFor wraps in SGR codes only when colour is on", () => {
    assert.equal(paintFor({ isTTY: true }, {}).red("x"), "\u001b[31mx\u001b[39m");
    assert.equal(paintFor({ isTTY: true }, {}).bold(""), "");
    assert.equal(paintFor({ isTTY: false }, {}).red("x"), "x");
  });
});
