/**
 * Property-based tests against BIND (issue #11): every config validation accepts yields zone text that
 * BIND loads, and `plan` (in process, under the SDK's mock runtime, as the CLI runs it) never fails
 * past its error handling: a stack is either planned or refused with problems that each name a
 * `sender-auth:` key. Bounded: one named-checkconf call loads a few hundred zones; the plan property
 * has few runs. A failure prints its seed (FC_SEED, FC_PATH and FC_RUNS replay it).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import fc from "fast-check";
import { planStacks } from "../../cli/commands/plan";
import type { StackPlan } from "../../cli/mockRun";
import { loadProject } from "../../cli/project";
import { renderZone } from "../../cli/render/zone";
import { ConfigError, decodeConfigMap, validateStack } from "../../components/config";
import { publishedRecord } from "../../components/model";
import { bindToolPath, skipOrFailWithoutNamed } from "../support/bind";
import { createTempProject } from "../support/cli";
import { anyStack, configMapOf, fileChanges, runParameters, stackFileText, validStack } from "../support/stackConfigs";

const run = promisify(execFile);

/** What a failed BIND tool printed (execFile's error carries its stdout and stderr). */
function printed(error: unknown): string {
  const { stdout, stderr } = (error ?? {}) as { stdout?: unknown; stderr?: unknown };
  return `${typeof stdout === "string" ? stdout : ""}${typeof stderr === "string" ? stderr : ""}`;
}
const NOW = new Date("2026-11-28T12:00:00Z");

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A loadable zone around a plan's records: SOA and NS (out of zone, so no name grows), then the records. */
function zoneFile(plan: StackPlan): string {
  return [
    "$TTL 300",
    `$ORIGIN ${plan.domain}.`,
    "@ IN SOA ns.example. hostmaster.example. ( 1 3600 600 86400 300 )",
    "@ IN NS ns.example.",
    renderZone(plan),
  ].join("\n");
}

/** The plan of a config validation accepted, without the mock runtime. */
function planOf(stack: string, raw: Record<string, unknown>): StackPlan | undefined {
  try {
    const validated = validateStack(stack, decodeConfigMap(configMapOf(raw)), NOW);
    const { config } = validated;
    return {
      stack,
      domain: config.domain,
      provider: config.dns.provider,
      zoneId: config.dns.zoneId,
      records: validated.records.map(publishedRecord),
      resources: [],
      warnings: validated.warnings,
    };
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

/**
 * Loads every zone with one `named-checkconf -z` (check-names and integrity checks off, as hosted DNS
 * providers allow any owner name). Returns the origins BIND did not load, with its output.
 */
async function unloadable(
  zones: readonly { origin: string; text: string }[],
): Promise<{ failed: string[]; output: string }> {
  const checkconf = bindToolPath("named-checkconf");
  assert.ok(checkconf !== undefined, "named-checkconf not found; install bind9-utils");
  const dir = mkdtempSync(path.join(tmpdir(), "sender-auth-zones-"));
  dirs.push(dir);
  const conf = zones.map((zone, index) => {
    const file = path.join(dir, `z${index}.zone`);
    writeFileSync(file, zone.text);
    return `zone "${zone.origin}" { type primary; file "${file}"; check-names ignore; check-integrity no; };`;
  });
  writeFileSync(path.join(dir, "named.conf"), `${conf.join("\n")}\n`);
  const output = await run(checkconf, ["-z", path.join(dir, "named.conf")], { maxBuffer: 64 * 1024 * 1024 }).then(
    (result) => result.stdout + result.stderr,
    (error: unknown) => printed(error),
  );
  const loaded = new Set(
    [...output.matchAll(/^zone (\S+)\/IN: loaded serial 1$/gm)].map((match) => (match[1] ?? "").toLowerCase()),
  );
  const failed = zones.map((zone) => zone.origin).filter((origin) => !loaded.has(origin));
  // Out-of-zone data is skipped with only a warning: it would hide a record BIND did not load.
  if (/ignoring out-of-zone data|not loaded due to errors/.test(output)) failed.push("(warnings)");
  return { failed, output };
}

describe("generated configs against BIND and plan (fast-check)", { timeout: 600_000 }, () => {
  it("every generated config validation accepts yields zone text that named-checkconf -z loads (one call for all zones)", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const { seed = Date.now() ^ (Math.random() * 0x100000000), numRuns = 300 } = runParameters(300);
    const samples = fc.sample(validStack, { numRuns, seed });
    // Zone origins must be unique within one named.conf.
    const plans = new Map<string, StackPlan>();
    samples.forEach((raw, index) => {
      const plan = planOf(`s${index}`, raw);
      if (plan !== undefined && !plans.has(plan.domain)) plans.set(plan.domain, plan);
    });
    assert.ok(plans.size >= numRuns / 3, `only ${plans.size} of ${numRuns} generated configs were accepted`);
    const zones = [...plans.values()].map((plan) => ({ origin: plan.domain, text: zoneFile(plan) }));
    const { failed, output } = await unloadable(zones);
    assert.deepEqual(
      failed,
      [],
      `seed ${seed} (FC_SEED=${seed} replays it): BIND did not load ${failed.length} zone(s), e.g. ${failed
        .slice(0, 3)
        .join(", ")}\n${output
        .split("\n")
        .filter((line) => !/loaded serial 1$/.test(line))
        .slice(0, 40)
        .join("\n")}`,
    );
  });

  it("plan, in process: a generated stack file (valid or mutated, keys spelled twice) is planned into a zone BIND loads, or refused with every problem naming a sender-auth: key", async (t) => {
    if (skipOrFailWithoutNamed(t)) return;
    const checkzone = bindToolPath("named-checkzone");
    assert.ok(checkzone !== undefined);
    const temp = createTempProject("sender-auth-prop-");
    dirs.push(temp.dir);
    const project = loadProject(temp.dir);
    let index = 0;
    const outcomes = { planned: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(anyStack, fileChanges, async (raw, changes) => {
        const stack = `p${index++}`;
        temp.writeStack(stack, stackFileText(raw, changes));
        const outcome = await planStacks(project, [stack]);
        rmSync(path.join(temp.stacksDir, `Pulumi.${stack}.yaml`));
        if (!outcome.ok) {
          outcomes.refused++;
          assert.ok(outcome.errors.length > 0);
          for (const line of outcome.errors) assert.match(line, new RegExp(`^stack ${stack}: sender-auth:[A-Za-z_]`));
          return;
        }
        outcomes.planned++;
        const [plan] = outcome.plans;
        assert.ok(plan !== undefined);
        const file = path.join(temp.dir, `${stack}.zone`);
        writeFileSync(file, zoneFile(plan));
        const result = await run(checkzone, ["-k", "ignore", "-i", "none", plan.domain, file]).then(
          (r) => ({ ok: true, output: r.stdout }),
          (error: unknown) => ({ ok: false, output: printed(error) }),
        );
        rmSync(file);
        assert.ok(result.ok && !/ignoring out-of-zone data/.test(result.output), `${result.output}\n${zoneFile(plan)}`);
      }),
      runParameters(60),
    );
    // Both branches ran, so neither assertion above was vacuous.
    assert.ok(outcomes.planned > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
  });
});
