/**
 * A unified diff (jsdiff) of two texts for a terminal or a CI log, e.g. a committed record snapshot
 * against the one `plan --write` would write (issue #12). Bounded: texts over 2 MB, or a difference
 * that takes jsdiff over a second, are not diffed, and at most 400 lines are shown. Control characters
 * of the texts are shown escaped, so a hostile file cannot drive the terminal.
 */
import { structuredPatch } from "diff";
import type { Paint } from "../colour";

const MAX_TEXT = 2 * 1024 * 1024;
const MAX_LINES = 400;
const TIMEOUT_MS = 1000;

/** C0 and C1 controls but the tab: what must not reach a terminal. */
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/** Control characters as `\xNN`. */
function visible(line: string): string {
  return line.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** The lines of the diff: `--- old`, `+++ new`, then hunks (`@@ … @@`, ` `, `-`, `+` lines). */
export function unifiedDiff(
  oldText: string,
  newText: string,
  oldLabel: string,
  newLabel: string,
  paint: Paint,
): string[] {
  const head = [paint.red(`--- ${oldLabel}`), paint.green(`+++ ${newLabel}`)];
  if (oldText.length > MAX_TEXT || newText.length > MAX_TEXT) return [...head, "(too large to show the difference)"];
  const patch = structuredPatch(oldLabel, newLabel, oldText, newText, undefined, undefined, {
    context: 2,
    timeout: TIMEOUT_MS,
  });
  if (patch === undefined) return [...head, "(the difference is too large to show)"];
  const body: string[] = [];
  for (const hunk of patch.hunks) {
    body.push(paint.cyan(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`));
    for (const line of hunk.lines) {
      const shown = visible(line);
      body.push(line.startsWith("-") ? paint.red(shown) : line.startsWith("+") ? paint.green(shown) : shown);
    }
  }
  if (body.length <= MAX_LINES) return [...head, ...body];
  return [...head, ...body.slice(0, MAX_LINES), `(${body.length - MAX_LINES} more lines of difference not shown)`];
}
