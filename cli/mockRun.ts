/**
 * Runs the Pulumi program (index.ts) under the Pulumi SDK's own mock runtime, fed from a stack file:
 * the same code path as `pulumi up`, with no CLI, credentials, network or decrypted secrets. Every
 * resource the program registers is recorded exactly as the provider SDK registered it.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DnsProvider, PublishedRecord } from "../components/model";
import { SECTIONS } from "../components/sections";
import type { AnySection } from "../components/sections/types";
import type { Project, StackConfig } from "./project";

/** A resource as registered with the engine: type token, logical name, inputs. */
export interface RegisteredResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

/** What `pulumi up` would create for one stack. */
export interface StackPlan {
  readonly stack: string;
  readonly domain: string;
  readonly provider: DnsProvider;
  /** The zone the records go to. */
  readonly zoneId: string;
  readonly records: readonly PublishedRecord[];
  readonly resources: readonly RegisteredResource[];
  readonly warnings: readonly string[];
  /**
   * The stack outputs a record family also shows in `plan --format json` (its section's
   * `planOutputs`), by output name. @default {} (none)
   */
  readonly outputs?: Readonly<Record<string, unknown>>;
}

/** The stack outputs index.ts exports. */
interface ProgramExports {
  readonly domain: string;
  readonly provider: DnsProvider;
  readonly zoneId: string;
  readonly records: readonly PublishedRecord[];
  readonly warnings: readonly string[];
}

/**
 * The outputs of `program` that the families of `sections` show in `plan --format json`, by name;
 * one a stack does not have (its family's key is not set) is left out.
 */
export function planOutputsOf(
  program: Readonly<Record<string, unknown>>,
  sections: readonly AnySection[] = SECTIONS,
): Record<string, unknown> {
  return Object.fromEntries(
    sections.flatMap((s) =>
      (s.planOutputs ?? []).flatMap((name) => (program[name] === undefined ? [] : [[name, program[name]]])),
    ),
  );
}

/** Sorts object keys so that output never depends on registration details. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * Runs the program for one stack. Throws whatever the program throws (a ConfigError for invalid
 * config) before any resource is registered. Stacks must run one at a time: the runtime is global.
 */
export async function runStackUnderMocks(project: Project, stack: StackConfig): Promise<StackPlan> {
  // The SDK records a stack trace with every promise it makes (debuggablePromise), for a leak
  // report that only `pulumi up` prints; formatting those traces was ~60 % of plan's CPU (issue #14).
  // Plan never shows a stack trace (errors are reported by message), and the SDK raises the limit
  // itself where it wants one (a resource's source position), so none is captured while the program runs.
  const stackTraceLimit = Error.stackTraceLimit;
  // Node 22 exposes its own formatter here; where it does not, stacks are left as they are.
  const prepareStackTrace = Reflect.get(Error, "prepareStackTrace") as PrepareStackTrace | undefined;
  Error.stackTraceLimit = 0;
  if (prepareStackTrace !== undefined) Error.prepareStackTrace = withoutSourcePositions(prepareStackTrace);
  try {
    return await runProgram(project, stack);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    if (prepareStackTrace !== undefined) Error.prepareStackTrace = prepareStackTrace;
  }
}

/** V8's stack formatter hook, called as a plain function (the typings declare a method). */
type PrepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => unknown;

/**
 * `prepare` (Node's own formatter) with no frames for the stacks the SDK captures to find each
 * resource's source position: it lifts the limit to Infinity, formats the whole stack and parses every
 * line (`Resource.callsites`, @pulumi/pulumi resource.js), and sends the frames with the registration,
 * which the mock monitor drops unread (runtime/mocks.js `registerResource`). Plan's stack there runs
 * through Node's module loader (index.ts is required per stack), about 20 frames: formatting, parsing
 * and encoding them was about 1.5 ms of CPU a stack (a fifth of plan's cost over its floor, issue
 * #14). With no frames the SDK finds no position, as for any stack it cannot read; every other error
 * is formatted as before (with the limit at 0 it has no frames anyway).
 */
function withoutSourcePositions(prepare: PrepareStackTrace): PrepareStackTrace {
  return (error, frames) => prepare(error, Error.stackTraceLimit === Number.POSITIVE_INFINITY ? [] : frames);
}

async function runProgram(project: Project, stack: StackConfig): Promise<StackPlan> {
  const registered: RegisteredResource[] = [];
  pulumi.runtime.setAllConfig(stack.config, [...stack.secretKeys]);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        // Components (custom: false) are the program's own structure, not something a provider creates.
        if (args.custom === true) {
          registered.push({
            type: args.type,
            name: args.name,
            inputs: canonical(args.inputs) as Record<string, unknown>,
          });
        }
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call(args) {
        // The program reads nothing from providers, so plan needs no credentials or network.
        throw new Error(`the program called ${args.token}, which plan cannot answer offline`);
      },
    },
    project.name,
    stack.stack,
    true,
  );
  // Evaluate the entry module afresh for every stack, exactly as the Pulumi host loads it once. The
  // cache is keyed by the resolved real path, which differs from project.main behind a symlink.
  const entry = require.resolve(project.main);
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
  delete require.cache[entry];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require(project.main) as ProgramExports & Readonly<Record<string, unknown>>;
  // Node's loader also lists every evaluation in this module's `children`, which the cache deletion
  // does not touch: each stack's program with its exports stayed reachable from here, about 9 KB a
  // stack, 44 MB in a thread that plans 5,000 (measured, issue #14). Nothing reads `children`.
  module.children = module.children.filter((child) => child.id !== entry);
  // Waits until every resource registration has reached the mock engine.
  await pulumi.runtime.disconnect();
  return {
    stack: stack.stack,
    domain: program.domain,
    provider: program.provider,
    zoneId: program.zoneId,
    records: program.records,
    resources: registered.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    warnings: program.warnings,
    outputs: planOutputsOf(program),
  };
}
