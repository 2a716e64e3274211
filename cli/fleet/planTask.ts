/**
 * What a worker thread runs for `plan` over a fleet (cli/fleet/run.ts): each stack of its batch
 * planned by the same function as in the main thread, one at a time (the mock runtime is global to
 * the thread), under the thread's own Pulumi SDK.
 */
import { planOutcome, type StackOutcome } from "../commands/plan";
import { loadProject, type Project } from "../project";
import type { FleetTask } from "./run";

let loaded: Project | undefined;

export async function handle(task: FleetTask<null>): Promise<StackOutcome[]> {
  if (loaded?.dir !== task.dir) loaded = loadProject(task.dir);
  const outcomes: StackOutcome[] = [];
  for (const stack of task.stacks) outcomes.push(await planOutcome(loaded, stack));
  return outcomes;
}
