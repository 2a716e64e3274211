/** Helpers for tests that run components or the program under the Pulumi SDK's mock runtime. */
import * as pulumi from "@pulumi/pulumi";
import { decodeConfigMap, validateStack, type ValidatedStack } from "../../components/config";
import { loadProject, readStackConfig } from "../../cli/project";
import { REPO_ROOT } from "./fixtures";

export interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly custom: boolean;
}

/** Installs a fresh mock runtime that records every registration; unknown invokes throw. */
export async function installMocks(
  stack = "test",
  config: Record<string, string> = {},
  secretKeys: string[] = [],
): Promise<Registered[]> {
  const registered: Registered[] = [];
  pulumi.runtime.setAllConfig(config, secretKeys);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
          custom: args.custom === true,
        });
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call(args) {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "sender-auth",
    stack,
    true,
  );
  return registered;
}

/** Resolves once every resource has been registered with the mock engine. */
export async function settled(resources: readonly pulumi.Resource[]): Promise<void> {
  await Promise.all(resources.map((resource) => new Promise<string>((resolve) => resource.urn.apply(resolve))));
}

/**
 * The value of an Output, rejecting when it fails. Uses the SDK's internal `promise()`, because
 * `apply` never calls back for a failed Output.
 */
export function unwrap<T>(output: pulumi.Output<T>): Promise<T> {
  return (output as unknown as { promise(): Promise<T> }).promise();
}

/** A raw config object validated as a stack named `stack`. */
export function validated(raw: Record<string, unknown>, stack = "test"): ValidatedStack {
  return validateStack(stack, raw);
}

/** One of the repository's example stacks, read and validated the way the program does. */
export function exampleStack(stack: "example-com" | "example-org"): ValidatedStack {
  const project = loadProject(REPO_ROOT);
  return validateStack(stack, decodeConfigMap(readStackConfig(project, stack).config));
}

/** Resource options a component passed to a child, captured with a transformation. */
export interface CapturedOptions {
  readonly name: string;
  readonly type: string;
  /** Every child sender-auth creates is a custom resource, so its options are CustomResourceOptions. */
  readonly opts: pulumi.CustomResourceOptions;
}

export function captureOptions(into: CapturedOptions[]): pulumi.ResourceTransformation {
  return (args) => {
    into.push({ name: args.name, type: args.type, opts: args.opts });
    return undefined;
  };
}
