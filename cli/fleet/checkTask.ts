/**
 * What a worker thread runs for `check` over a fleet (cli/fleet/run.ts): the stacks of its batch
 * checked by the same function as in the main thread, as many at a time as there (their DNS
 * questions overlap; the thread's CPU goes to reading, validating and evaluating each stack).
 */
import { checkOutcome, mapConcurrently, type CheckOutcome, type CheckSettings } from "../commands/check";
import { loadProject, type Project } from "../project";
import type { FleetTask } from "./run";

let loaded: Project | undefined;

export async function handle(task: FleetTask<CheckSettings>): Promise<CheckOutcome[]> {
  if (loaded?.dir !== task.dir) loaded = loadProject(task.dir);
  const project = loaded;
  return mapConcurrently(task.stacks, task.stacks.length, (stack) => checkOutcome(project, stack, task.settings));
}
