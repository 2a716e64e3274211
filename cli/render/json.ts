/**
 * Machine-readable plan: one object per stack, stable key order, 2-space indent. A record family's
 * own fields (its section's `planOutputs`, e.g. a policy text) follow `warnings`, in registry order.
 */
import type { StackPlan } from "../mockRun";

export function renderJson(plans: readonly StackPlan[]): string {
  const out = plans.map((plan) => ({
    stack: plan.stack,
    domain: plan.domain,
    provider: plan.provider,
    records: plan.records,
    resources: plan.resources,
    warnings: plan.warnings,
    ...plan.outputs,
  }));
  return `${JSON.stringify(out, null, 2)}\n`;
}
