/**
 * Machine-readable plan: one object per stack, stable key order, 2-space indent. A record family's
 * own fields (its section's `planOutputs`, e.g. a policy text) follow `warnings`, in registry order.
 */
import type { StackPlan } from "../mockRun";

/** The object a plan is in `plan --format json`'s array. */
function jsonObject(plan: StackPlan): Record<string, unknown> {
  return {
    stack: plan.stack,
    domain: plan.domain,
    provider: plan.provider,
    records: plan.records,
    resources: plan.resources,
    warnings: plan.warnings,
    ...plan.outputs,
  };
}

/**
 * One plan's element of the JSON array exactly as JSON.stringify(array, null, 2) writes it: indented
 * one level, without the comma or line break between elements (cli/render/plans.ts joins them; issue
 * #14 renders each stack where it is planned). JSON text has no raw line break inside a string, so
 * indenting every line nests the element as JSON.stringify does.
 */
export function jsonElement(plan: StackPlan): string {
  return `  ${JSON.stringify(jsonObject(plan), null, 2).replaceAll("\n", "\n  ")}`;
}
