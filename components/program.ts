/**
 * The Pulumi program, shared by `pulumi up` (through index.ts) and `sender-auth plan` (which runs
 * index.ts under the SDK's mock runtime): read and validate this stack's config once, create one
 * MailDomain, return the stack outputs: the domain, its records and warnings, and what each record
 * family adds (sections/: `outputs`, and secret ones derived from its secret config, `secrets`).
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, decodeConfigMap, formatProblem, validateStack } from "./config";
import { currentTime } from "./clock";
import { MailDomain } from "./mailDomain";
import { PROJECT, type PublishedRecord } from "./model";
import { SECTIONS } from "./sections";
import type { AnySection, OutputsOf, SecretsOf } from "./sections/types";

/** What every stack outputs, whatever its families. */
interface CoreOutputs {
  /** The policy domain. */
  readonly domain: string;
  /** Every record the stack publishes: name, type, ttl, value (unsplit), purpose, selector. */
  readonly records: readonly PublishedRecord[];
  /** Valid-but-risky settings, also logged as Pulumi warnings during `pulumi up`. */
  readonly warnings: readonly string[];
}

/**
 * The stack outputs (index.ts exports each): the core ones, each family's (`provider` and `zoneId`
 * from dns, `dkimSelectors` from dkim, ...), and each family's secret ones (`signingKeys` from dkim:
 * active selector → private key PEM, for mail servers that read stack outputs).
 */
export type StackOutputs<L extends readonly AnySection[] = typeof SECTIONS> = CoreOutputs &
  OutputsOf<L> & { readonly [N in SecretsOf<L>]: pulumi.Output<unknown> };

export type ProgramOutputs<L extends readonly AnySection[] = typeof SECTIONS> = StackOutputs<L> & {
  /** Resolves once every secret config value passed its family's checks (stored private keys matched). */
  readonly keysMatch: pulumi.Output<true>;
  /** The component, for callers that wait on its resources (plan, tests). */
  readonly component: MailDomain;
};

/** The stack outputs of a program run: everything but the component and the key check. */
export function stackOutputs<L extends readonly AnySection[]>(program: ProgramOutputs<L>): StackOutputs<L> {
  const kept = Object.entries(program).filter(([name]) => name !== "component" && name !== "keysMatch");
  return Object.fromEntries(kept) as StackOutputs<L>;
}

/**
 * Whether Pulumi marks a whole top-level config key as secret (the only granularity the engine passes:
 * PULUMI_CONFIG_SECRET_KEYS). The SDK's runtime exports `isConfigSecret` but marks it `@internal`, so
 * its typings omit it; without it nothing can be told, and a plain `privateKey` is left to `plan`.
 */
function isConfigSecret(key: string): boolean {
  const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };
  return runtime.isConfigSecret?.(key) ?? true;
}

/** Runs the program for this stack with the record families of `sections` (the registry's by default). */
export function senderAuthProgram<L extends readonly AnySection[] = typeof SECTIONS>(
  sections: L = SECTIONS as unknown as L,
): ProgramOutputs<L> {
  const stack = pulumi.getStack();
  try {
    return buildProgram(stack, sections);
  } catch (error) {
    if (!pulumi.runtime.hasEngine()) throw error;
    throw reportedRunError(failureLines(stack, error));
  }
}

function buildProgram<L extends readonly AnySection[]>(stack: string, sections: L): ProgramOutputs<L> {
  const now = currentTime();
  // Throws ConfigError listing every problem before any resource is registered.
  const decoded = decodeConfigMap(pulumi.runtime.allConfig(), isConfigSecret, sections);
  const validated = validateStack(stack, decoded, now, sections);
  const { config } = validated;

  // Secret config is read only as secrets: the plain getters return a secret's plaintext unmarked
  // (@pulumi/pulumi config.js). Everything derived from it stays secret (Pulumi docs, "Secrets":
  // apply/all of a secret is secret), except the checks' outcome, which carries no key material.
  const secretConfig = new pulumi.Config(PROJECT);
  const secrets = sections.flatMap((section) => {
    if (section.secrets === undefined) return [];
    const set = (config as Readonly<Record<string, unknown>>)[section.key] !== undefined;
    const value =
      (set ? secretConfig.getSecretObject<unknown>(section.key) : undefined) ?? pulumi.secret<unknown>(undefined);
    return [{ section, rules: section.secrets, value }];
  });
  const checks = secrets.map(({ rules, value }) =>
    value.apply(
      guarded(stack, (secret): true => {
        const problems = rules.problems(secret, config);
        if (problems.length > 0) {
          throw new ConfigError(
            stack,
            problems.map((p) => formatProblem(p, sections)),
          );
        }
        return true;
      }),
    ),
  );
  const keysMatch = pulumi.unsecret(pulumi.all(checks).apply((): true => true));
  // A secret that fails its checks (a stored private key that does not match its published key) fails
  // every record's registration, and the secret outputs with them: a failed `pulumi up` still records
  // the stack outputs it got.
  const zoneId = pulumi.all([config.dns.zoneId, keysMatch]).apply(([id]) => id);

  const component = new MailDomain(config.domain, { ...validated, zoneId });
  // Under the mock runtime (plan, tests) there is no engine and the caller reads `warnings` itself.
  if (pulumi.runtime.hasEngine()) {
    for (const warning of validated.warnings) void pulumi.log.warn(warning, component);
  }
  const outputs: Record<string, unknown> = { domain: config.domain };
  for (const section of sections) Object.assign(outputs, section.outputs?.(config, now));
  Object.assign(outputs, { records: component.records, warnings: validated.warnings });
  for (const { rules, value } of secrets) {
    for (const [name, derive] of Object.entries(rules.outputs)) {
      // From the secret config itself: `pulumi.all` would turn a Map derived from it into an object.
      outputs[name] = pulumi.all([value, keysMatch]).apply(guarded(stack, ([secret]) => derive(secret, config)));
    }
  }
  return { ...outputs, keysMatch, component } as ProgramOutputs<L>;
}

// ---------------------------------------------------------------------------------------------------
// Failures under the SDK's run entry (`pulumi preview`, `pulumi up`; issue #10).
//
// The run entry reports an error it does not know to be reported as "Running program … failed with an
// unhandled exception", its stack and a `util.inspect` dump (cmd/run/run.js), and it formats every
// error with a stack through `util.inspect` for its tracing span, RunError included
// (`defaultErrorMessage`, cmd/run/error.js). For an error thrown inside an `apply` that takes tens of
// seconds and gigabytes on Node 22 (source-mapped SDK frames), and the SDK prefixes the message with
// `error serializing property "zoneId": ` once per resource the error passes through. So the program
// sends the engine exactly the lines `plan` prints, one error log each, and ends with the language
// host's "already reported" exit code (pulumi-language-nodejs main.go, `nodeJSProcessExitedAfter…`),
// which makes the CLI stop without printing more. Without an engine (`plan`, the mock runtime) errors
// are thrown unchanged for the caller to print.

/** The exit code with which the program tells the language host it has reported its failure itself. */
const EXIT_ALREADY_REPORTED = 32;

/** The lines `sender-auth plan` prints for a failure of this stack (cli/commands/plan.ts). */
function failureLines(stack: string, error: unknown): string[] {
  const text =
    error instanceof ConfigError
      ? error.message
      : `stack ${stack}: ${error instanceof Error ? error.message : String(error)}`;
  return text.split("\n").filter((line) => line.trim() !== "");
}

/**
 * For a failure while the program module is evaluated: logs every line but the last and returns a
 * RunError with the last, which the run entry logs as its message alone, after the others (logs go out
 * in call order), and counts as reported: the program ends with exit 32 once its RPCs are done. The
 * RunError carries no stack, so the run entry's `defaultErrorMessage` returns its message instead of
 * inspecting it.
 */
function reportedRunError(lines: string[]): pulumi.RunError {
  const last = lines.pop() ?? "the program failed";
  for (const line of lines) void pulumi.log.error(line);
  const error = new pulumi.RunError(last);
  error.stack = "";
  return error;
}

/** Delivery of every failure reported so far; the program exits once all of them are sent. */
const reports: Promise<unknown>[] = [];

/**
 * For a failure inside an `apply`: logs every line, then exits with 32. Returns a promise that never
 * settles, so nothing waiting on the failed value goes on: no resource whose inputs depend on it is
 * registered, and no stack output is recorded (a failed update would keep the ones it received). The
 * exit code is set at once, so the process cannot end with 0 whatever happens meanwhile.
 */
function reportAndExit(lines: readonly string[]): Promise<never> {
  process.exitCode = EXIT_ALREADY_REPORTED;
  reports.push(Promise.all(lines.map((line) => pulumi.log.error(line))));
  const exitOnceSent = async (): Promise<void> => {
    const count = reports.length;
    await Promise.all(reports);
    if (reports.length === count) process.exit(EXIT_ALREADY_REPORTED);
    else await exitOnceSent();
  };
  void exitOnceSent();
  return new Promise<never>(() => undefined);
}

/** `apply` callback `fn`; under an engine its failures are reported as `plan` prints them (see above). */
function guarded<T, R>(stack: string, fn: (value: T) => R): (value: T) => Promise<R> {
  return async (value) => {
    try {
      return fn(value);
    } catch (error) {
      if (!pulumi.runtime.hasEngine()) throw error;
      return reportAndExit(failureLines(stack, error));
    }
  };
}
