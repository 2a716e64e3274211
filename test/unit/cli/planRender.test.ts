/**
 * cli/render/plans.ts (issue #14): `plan` renders each stack's fragment where the stack is planned
 * and frames the fragments; for every format, over no stack, one and several (records with quotes,
 * backslashes, line separators, an empty outputs object, a nested output), the pieces joined are
 * byte for byte the whole-list renderers' output.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StackPlan } from "../../../cli/mockRun";
import { renderBind } from "../../../cli/render/bind";
import { jsonElement } from "../../../cli/render/json";
import { PLAN_FORMATS, planFragment, planOutput, type PlanFormat } from "../../../cli/render/plans";
import { tableBlock } from "../../../cli/render/table";
import { renderZone } from "../../../cli/render/zone";

function stackPlan(i: number, extra: Partial<StackPlan> = {}): StackPlan {
  const domain = `brand${i}.example`;
  return {
    stack: `brand${i}`,
    domain,
    provider: i % 2 === 0 ? "cloudflare" : "route53",
    zoneId: `zone-${i}`,
    records: [
      { name: domain, type: "TXT", ttl: 300, value: `v=spf1 include:_spf.esp.example -all`, purpose: "spf" },
      {
        name: `s${i}._domainkey.${domain}`,
        type: "TXT",
        ttl: 3600,
        value: `v=DKIM1; k=rsa; p=${"A".repeat(300 + i)}`,
        purpose: "dkim",
        selector: `s${i}`,
      },
      { name: `_dmarc.${domain}`, type: "TXT", ttl: 300, value: `v=DMARC1; p=none; "q" \\ \u2028`, purpose: "dmarc" },
    ],
    resources: [
      { type: "cloudflare:index/record:Record", name: `${domain}-spf`, inputs: { content: "a\nb", ttl: 300 } },
    ],
    warnings: i === 1 ? ['one warning, with "quotes"\nand a line break'] : [],
    ...extra,
  };
}

const LISTS: readonly (readonly StackPlan[])[] = [
  [],
  [stackPlan(0)],
  [
    stackPlan(0),
    stackPlan(1, { outputs: {} }),
    stackPlan(2, { outputs: { policyText: "version: 1\n", n: { a: [1, {}] } } }),
  ],
  [stackPlan(3, { records: [] })],
];

/**
 * What plan printed for the whole list before each stack was rendered on its own: blocks joined by an
 * empty line, one newline at the end; JSON.stringify of the whole array.
 */
function whole(plans: readonly StackPlan[], format: PlanFormat): string {
  switch (format) {
    case "table":
      return plans.length === 0 ? "" : `${plans.map((plan) => tableBlock(plan).replace(/\n$/, "")).join("\n\n")}\n`;
    case "zone":
      return plans.map(renderZone).join("\n");
    case "json":
      return `${JSON.stringify(
        plans.map((plan) => JSON.parse(jsonElement(plan)) as unknown),
        null,
        2,
      )}\n`;
    case "bind":
      return plans.map(renderBind).join("\n");
  }
}

describe("plan's output from per-stack fragments", () => {
  for (const format of PLAN_FORMATS) {
    it(`--format ${format}: the framed fragments are the whole-list output, byte for byte`, () => {
      for (const plans of LISTS) {
        const pieces = [
          ...planOutput(
            plans.map((plan) => planFragment(plan, format)),
            format,
          ),
        ];
        assert.equal(pieces.join(""), whole(plans, format), `${plans.length} stack(s)`);
      }
    });
  }

  it("json: the whole-list output is JSON.stringify of the array with its indent, and parses back", () => {
    const plans = LISTS[2] ?? [];
    const text = [
      ...planOutput(
        plans.map((plan) => planFragment(plan, "json")),
        "json",
      ),
    ].join("");
    const parsed = JSON.parse(text) as { stack: string; n?: unknown }[];
    assert.equal(text, `${JSON.stringify(parsed, null, 2)}\n`);
    assert.deepEqual(
      parsed.map((p) => p.stack),
      ["brand0", "brand1", "brand2"],
    );
    assert.deepEqual(parsed[2]?.n, { a: [1, {}] });
    assert.equal([...planOutput([], "json")].join(""), "[]\n");
  });

  it("table: stacks are separated by one empty line and the output ends in one newline", () => {
    const text = [
      ...planOutput(
        [stackPlan(0), stackPlan(1)].map((plan) => planFragment(plan, "table")),
        "table",
      ),
    ].join("");
    assert.match(text, /^brand0: brand0\.example on cloudflare[^]*\n\nbrand1: brand1\.example on route53[^]*[^\n]\n$/);
    assert.equal(text.split("\n\n").length, 2);
  });
});
