/**
 * What a worker thread runs for `plan` over a fleet (cli/fleet/run.ts): each stack of its batch
 * planned by the same function as in the main thread, one at a time (the mock runtime is global to
 * the thread), under the thread's own Pulumi SDK. For `plan` itself each plan goes back as the text
 * plan prints or writes for it (settings: which text), so only strings cross to the main thread and
 * none of the plan objects is kept there (issue #14); `check --planned` takes the plans (settings null).
 */
import {
  planOutcome,
  renderedOutcome,
  type PlanTaskSettings,
  type RenderedPlan,
  type StackOutcome,
} from "../commands/plan";
import { loadProject, type Project } from "../project";
import type { FleetTask } from "./run";

let loaded: Project | undefined;

export async function handle(
  task: FleetTask<PlanTaskSettings>,
): Promise<(StackOutcome | StackOutcome<RenderedPlan>)[]> {
  if (loaded?.dir !== task.dir) loaded = loadProject(task.dir);
  const project = loaded;
  const render = task.settings;
  const outcomes: (StackOutcome | StackOutcome<RenderedPlan>)[] = [];
  for (const stack of task.stacks) {
    outcomes.push(await (render === null ? planOutcome(project, stack) : renderedOutcome(project, stack, render)));
  }
  return outcomes;
}
