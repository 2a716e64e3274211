/** `reports` in process, as the tests call it: JSON by default, no stacks, a fixed "now", output captured. */
import { tmpdir } from "node:os";
import { reports, type ReportsOptions } from "../../cli/commands/reports";

export async function runReports(
  paths: readonly string[],
  options: Partial<ReportsOptions> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await reports(
    {
      paths,
      format: "json",
      since: undefined,
      stacks: [],
      cwd: tmpdir(),
      now: new Date("2026-11-01T00:00:00Z"),
      ...options,
    },
    { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } },
  );
  return { code, stdout: out.join(""), stderr: err.join("") };
}
