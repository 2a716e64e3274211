/**
 * A record family's own fields in `plan --format json` (issue 13): a section names stack outputs in
 * `planOutputs`, the plan carries them per stack, and the JSON shows them after `warnings`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import type { AnySection } from "../../../components/sections/types";
import { planOutputsOf, type StackPlan } from "../../../cli/mockRun";
import { planFragment, planOutput } from "../../../cli/render/plans";
import { SECTIONS } from "../../../components/sections";

/** `plan --format json` over `plans`, as plan frames it. */
const jsonPlan = (plans: readonly StackPlan[]): string =>
  [
    ...planOutput(
      plans.map((p) => planFragment(p, "json")),
      "json",
    ),
  ].join("");

const policySection: AnySection = {
  key: "policyFamily",
  title: "Policy",
  required: false,
  schema: z.strictObject({}),
  allowed: {},
  model: () => ({}),
  outputs: () => ({ policyText: "version: 1\n", hidden: "not in plan" }),
  planOutputs: ["policyText"],
};

const plan: StackPlan = {
  stack: "example",
  domain: "example.com",
  provider: "cloudflare",
  zoneId: "0123456789abcdef0123456789abcdef",
  records: [],
  resources: [],
  warnings: [],
};

describe("plan outputs of record families", () => {
  it("takes exactly the outputs the sections name, in registry order", () => {
    const program = { domain: "example.com", policyText: "version: 1\n", hidden: "not in plan" };
    assert.deepEqual(planOutputsOf(program, [...SECTIONS, policySection]), { policyText: "version: 1\n" });
  });

  it("takes none from today's families (none names a plan output)", () => {
    assert.deepEqual(planOutputsOf({ domain: "example.com", dkimSelectors: [] }), {});
  });

  it("leaves out an output the stack does not have (its family's key not set)", () => {
    const program = { domain: "example.com", hidden: "not in plan" };
    assert.deepEqual(planOutputsOf(program, [...SECTIONS, policySection]), {});
  });

  it("shows them per stack after warnings in the JSON plan", () => {
    const json = jsonPlan([{ ...plan, outputs: { policyText: "version: 1\n" } }]);
    assert.equal(
      json,
      `[\n  {\n    "stack": "example",\n    "domain": "example.com",\n    "provider": "cloudflare",\n` +
        `    "records": [],\n    "resources": [],\n    "warnings": [],\n    "policyText": "version: 1\\n"\n  }\n]\n`,
    );
  });

  it("shows nothing more for a plan without them", () => {
    assert.deepEqual(Object.keys((JSON.parse(jsonPlan([plan])) as object[])[0] ?? {}), [
      "stack",
      "domain",
      "provider",
      "records",
      "resources",
      "warnings",
    ]);
  });
});
