/**
 * The "next:" steps keygen and rotate print after they changed a stack's config: review the plan,
 * update the record snapshot when the project keeps them (`records/`, cli/snapshots.ts), commit and open
 * a pull request, apply. Followed in order, they leave `plan --check` (which CI runs) passing: a hint
 * that skipped `plan --write` led straight into a failing CI (issue 12).
 */
import { entryAt } from "./safeFs";
import { RECORDS_DIR, snapshotDir } from "./snapshots";
import { type Project } from "./project";

/** Whether the project keeps record snapshots: anything named `records` in the project directory. */
export function keepsSnapshots(project: Project): boolean {
  return entryAt(snapshotDir(project), RECORDS_DIR) !== undefined;
}

/**
 * The steps from a changed stack file to DNS: review, snapshot (when kept), commit and pull request,
 * `pulumi up`. `applies` says what `pulumi up` does, when that is worth saying.
 */
export function reviewSteps(stack: string, snapshots: boolean, applies = ""): string[] {
  return [
    `review: npx sender-auth plan ${stack}`,
    ...(snapshots ? [`update the record snapshot: npx sender-auth plan --write ${stack}`] : []),
    `commit the stack file${snapshots ? ` and ${RECORDS_DIR}/${stack}.zone` : ""} and open a pull request`,
    `after review: pulumi up --stack ${stack}${applies === "" ? "" : ` (${applies})`}`,
  ];
}

/** `next:` and the steps, numbered. */
export function nextLines(steps: readonly string[]): string[] {
  return ["next:", ...steps.map((step, index) => `  ${index + 1}. ${step}`)];
}
