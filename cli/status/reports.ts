/**
 * The DMARC aggregate reports `status --reports` and `rotate --due --reports` read (issue #15's
 * readers, with their bounds): per policy domain, the summed reports for the recommendation, and each
 * report's DKIM sightings for the evidence a revoke needs. Unreadable inputs are errors naming the
 * file; the others are still used.
 */
import { Aggregator, type DomainSummary } from "../reports/aggregate";
import { collectInputs } from "../reports/files";
import { DEFAULT_LIMITS, type Origin } from "../reports/model";
import { readInputFile } from "../reports/readers";
import { sightingOf, type Sighting } from "./evidence";

export interface LoadedReports {
  readonly summaries: ReadonlyMap<string, DomainSummary>;
  readonly sightings: ReadonlyMap<string, readonly Sighting[]>;
  /** `<file>[ > <member>]: <message>`, in the order read. */
  readonly errors: readonly string[];
}

export async function loadReports(paths: readonly string[]): Promise<LoadedReports> {
  const errors: string[] = [];
  const { files, problems } = collectInputs(paths);
  for (const p of problems) errors.push(`${p.file}: ${p.message}`);
  const aggregator = new Aggregator(DEFAULT_LIMITS.sources);
  const sightings = new Map<string, Sighting[]>();
  const where = (origin: Origin): string => [origin.file, ...origin.inside].join(" > ");
  const sink = {
    report: (origin: Origin, report: Parameters<Aggregator["add"]>[0]) => {
      const added = aggregator.add(report);
      if (typeof added === "object") {
        errors.push(`${where(origin)}: ${added.error}`);
        return;
      }
      if (added === "duplicate") return;
      const list = sightings.get(report.policy.domain) ?? [];
      list.push(sightingOf(report));
      sightings.set(report.policy.domain, list);
    },
    beforeSince: () => undefined,
    error: (origin: Origin, message: string) => errors.push(`${where(origin)}: ${message}`),
    skip: () => undefined,
  };
  const total = { used: 0 };
  for (const file of files) await readInputFile(file, { limits: DEFAULT_LIMITS, total }, sink);
  return {
    summaries: new Map(aggregator.summaries().map((s) => [s.domain, s])),
    sightings,
    errors,
  };
}
