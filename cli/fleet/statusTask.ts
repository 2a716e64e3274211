/**
 * What a worker thread runs for `status` over a fleet (cli/fleet/run.ts): each stack of its batch
 * read and turned into its row by the same function as in the main thread (statusRow over
 * stackSource); the rows go back to be rendered there, in stack order.
 */
import { stackSource, statusSettings, type StatusTaskSettings } from "../commands/status";
import { loadProject, type Project } from "../project";
import { statusRow, type StatusRow } from "../status/row";
import { sharedReports } from "../status/sharedReports";
import type { FleetTask } from "./run";

let loaded: Project | undefined;

export function handle(task: FleetTask<StatusTaskSettings>): StatusRow[] {
  if (loaded?.dir !== task.dir) loaded = loadProject(task.dir);
  const project = loaded;
  const { now, overlapDays, reports } = task.settings;
  const settings = statusSettings(
    project,
    { now: new Date(now), overlapDays },
    reports === undefined ? undefined : sharedReports(reports),
  );
  return task.stacks.map((stack) => statusRow(stackSource(project, stack), settings));
}
