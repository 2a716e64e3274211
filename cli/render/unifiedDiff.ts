/**
 * A unified diff (jsdiff) of two texts for a terminal or a CI log, e.g. a committed record snapshot
 * against the one `plan --write` would write (issue #12). Bounded: texts over 2 MB, or a difference
 * that takes jsdiff over a second, are not diffed, and at most 400 lines are shown. The texts' lines
 * go through `printable`, so a hostile file cannot drive the terminal.
 */
import { structuredPatch } from "diff";
import type { Paint } from "../colour";
import { printable } from "./printable";

const MAX_TEXT = 2 * 1024 * 1024;
const MAX_LINES = 400;
const TIMEOUT_MS = 1000;

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
      const shown = printable(line);
      body.push(line.startsWith("-") ? paint.red(shown) : line.startsWith("+") ? paint.green(shown) : shown);
    }
  }
  if (body.length <= MAX_LINES) return [...head, ...body];
  return [...head, ...body.slice(0, MAX_LINES), `(${body.length - MAX_LINES} more lines of difference not shown)`];
}
