/**
 * `plan`'s output over many stacks, one stack's text at a time: each stack's fragment is rendered
 * where the stack is planned (a worker thread, issue #14), so that only text crosses back and no
 * plan object is kept until the end; the fragments, framed here, are byte for byte what plan printed
 * when it rendered the whole list at once (test/unit/cli/planRender.test.ts keeps that as its oracle).
 */
import type { StackPlan } from "../mockRun";
import { renderBind } from "./bind";
import { jsonElement } from "./json";
import { tableBlock } from "./table";
import { renderZone } from "./zone";

export const PLAN_FORMATS = ["table", "zone", "json", "bind"] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

/** What surrounds the fragments: before the first, between two, after the last; and the output for none. */
interface Frame {
  readonly open: string;
  readonly between: string;
  readonly close: string;
  readonly none: string;
}

const LINES: Frame = { open: "", between: "\n", close: "", none: "" };
const FRAMES: Readonly<Record<PlanFormat, Frame>> = {
  table: LINES,
  zone: LINES,
  bind: LINES,
  // JSON.stringify(array, null, 2) with its final newline.
  json: { open: "[\n", between: ",\n", close: "\n]\n", none: "[]\n" },
};

/** One stack's part of the output in `format`. */
export function planFragment(plan: StackPlan, format: PlanFormat): string {
  switch (format) {
    case "table":
      return tableBlock(plan);
    case "zone":
      return renderZone(plan);
    case "json":
      return jsonElement(plan);
    case "bind":
      return renderBind(plan);
  }
}

/** The output over stacks whose fragments are `fragments`, in pieces to write one after another. */
export function* planOutput(fragments: Iterable<string>, format: PlanFormat): Generator<string> {
  const frame = FRAMES[format];
  let first = true;
  for (const fragment of fragments) {
    yield first ? frame.open : frame.between;
    yield fragment;
    first = false;
  }
  yield first ? frame.none : frame.close;
}
