/**
 * The GitHub workflows of .github/workflows as the workflow tests read them: parsed strictly (no
 * duplicate keys), with the fields the tests look at typed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT } from "./cli";

export const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, Json>;
  readonly env?: Record<string, string>;
}

export interface Job {
  readonly if?: string;
  readonly needs?: string;
  /** A reusable workflow the job calls (then it has no steps). */
  readonly uses?: string;
  readonly with?: Record<string, Json>;
  readonly secrets?: string;
  readonly steps?: Step[];
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; "cancel-in-progress": boolean };
  readonly strategy?: { "max-parallel"?: number; "fail-fast"?: boolean; matrix?: Record<string, Json> };
  readonly outputs?: Record<string, string>;
}

export interface Workflow {
  readonly on: Record<string, Json>;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; "cancel-in-progress": boolean };
  readonly jobs: Record<string, Job>;
}

/** .github/workflows/<file>, parsed. */
export function workflow(file: string): Workflow {
  const doc = parseYaml(readFileSync(path.join(WORKFLOWS, file), "utf8"), {
    strict: true,
    uniqueKeys: true,
  }) as unknown;
  assert.ok(typeof doc === "object" && doc !== null && "jobs" in doc, `${file} has jobs`);
  return doc as Workflow;
}
