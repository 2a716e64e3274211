/**
 * The part of a `reports` run that worker threads do (cli/workers/pool.ts): read and parse a batch
 * of input files, and record what the main thread's sink would have been told, in order, so that
 * the main thread can replay it into one aggregation exactly as a single-threaded run would.
 *
 * A batch's outcomes cross the thread boundary as one JSON string with each source row packed into
 * an array: the main thread, which also aggregates, then pays for one JSON.parse and a few Maps
 * instead of a structured clone of ~125 Maps per report (measured: about half the main thread's
 * cost per report).
 */
import type { InputFile } from "./files";
import type { Disposition, Origin, ParsedReport, ReadLimits, SourceRow, Tally } from "./model";
import { readInputFile, type ReadSink } from "./readers";

export interface ReadTask {
  readonly files: readonly InputFile[];
  readonly limits: ReadLimits;
  readonly since: number | undefined;
  /**
   * Decompressed bytes the run had used before this batch, as far as the main thread knew when it
   * handed the batch out: a lower bound of the true figure (earlier batches may still be running).
   */
  readonly runUsed: number;
}

/** One call the sink would have received. */
export type SinkEvent =
  | { readonly type: "report"; readonly origin: Origin; readonly report: ParsedReport }
  | { readonly type: "beforeSince"; readonly origin: Origin }
  | { readonly type: "error"; readonly origin: Origin; readonly message: string }
  | { readonly type: "skip"; readonly origin: Origin; readonly message: string };

export interface FileOutcome {
  readonly events: readonly SinkEvent[];
  /** Decompressed bytes this file counted against the run's bound. */
  readonly used: number;
}

/** A tally as `[key, amount, key, amount, ..., overflow]`. */
type PackedTally = (string | number)[];
/** A source row as an array: IP, disposition, SPF and DKIM aligned (0/1), count, then its five tallies. */
type PackedRow = [string, Disposition, number, number, number, ...PackedTally[]];
type PackedReport = Omit<ParsedReport, "rows"> & { readonly rows: readonly PackedRow[] };
type PackedEvent = Exclude<SinkEvent, { type: "report" }> | { type: "report"; origin: Origin; report: PackedReport };
interface PackedOutcome {
  readonly events: readonly PackedEvent[];
  readonly used: number;
}

function packTally(tally: Tally): PackedTally {
  const packed: PackedTally = [];
  for (const [key, amount] of tally.counts) packed.push(key, amount);
  packed.push(tally.overflow);
  return packed;
}

function unpackTally(packed: PackedTally | undefined): Tally {
  const counts = new Map<string, number>();
  const last = (packed?.length ?? 1) - 1;
  for (let i = 0; i < last; i += 2) counts.set(packed?.[i] as string, packed?.[i + 1] as number);
  return { counts, overflow: (packed?.[last] as number | undefined) ?? 0 };
}

function packReport(report: ParsedReport): PackedReport {
  return {
    ...report,
    rows: report.rows.map((row): PackedRow => [
      row.ip,
      row.disposition,
      row.spfAligned ? 1 : 0,
      row.dkimAligned ? 1 : 0,
      row.count,
      packTally(row.headerFrom),
      packTally(row.envelopeFrom),
      packTally(row.dkim),
      packTally(row.spf),
      packTally(row.reasons),
    ]),
  };
}

function unpackReport(packed: PackedReport): ParsedReport {
  return {
    ...packed,
    rows: packed.rows.map((row): SourceRow => ({
      ip: row[0],
      disposition: row[1],
      spfAligned: row[2] === 1,
      dkimAligned: row[3] === 1,
      count: row[4],
      headerFrom: unpackTally(row[5]),
      envelopeFrom: unpackTally(row[6]),
      dkim: unpackTally(row[7]),
      spf: unpackTally(row[8]),
      reasons: unpackTally(row[9]),
    })),
  };
}

/** The outcomes of a batch as the string that crosses the thread boundary. */
export function packOutcomes(outcomes: readonly FileOutcome[]): string {
  const packed: PackedOutcome[] = outcomes.map((outcome) => ({
    used: outcome.used,
    events: outcome.events.map((event) =>
      event.type === "report" ? { ...event, report: packReport(event.report) } : event,
    ),
  }));
  return JSON.stringify(packed);
}

export function unpackOutcomes(text: string): FileOutcome[] {
  const packed = JSON.parse(text) as PackedOutcome[];
  return packed.map((outcome) => ({
    used: outcome.used,
    events: outcome.events.map((event) =>
      event.type === "report" ? { ...event, report: unpackReport(event.report) } : event,
    ),
  }));
}

/** Replays recorded events into a sink, in the order they were recorded. */
export function replay(events: readonly SinkEvent[], sink: ReadSink): void {
  for (const event of events) {
    switch (event.type) {
      case "report":
        sink.report(event.origin, event.report);
        break;
      case "beforeSince":
        sink.beforeSince(event.origin);
        break;
      case "error":
        sink.error(event.origin, event.message);
        break;
      case "skip":
        sink.skip(event.origin, event.message);
        break;
    }
  }
}

/** Reads each file of the batch in turn; what it would have told the sink is recorded per file. */
export async function handle(task: ReadTask): Promise<string> {
  return packOutcomes(await readBatch(task));
}

/** The outcomes of a batch, unpacked: what {@link handle} sends, before packing. */
export async function readBatch(task: ReadTask): Promise<FileOutcome[]> {
  const total = { used: task.runUsed };
  const outcomes: FileOutcome[] = [];
  for (const file of task.files) {
    const events: SinkEvent[] = [];
    const sink: ReadSink = {
      report: (origin, report) => events.push({ type: "report", origin, report }),
      beforeSince: (origin) => events.push({ type: "beforeSince", origin }),
      error: (origin, message) => events.push({ type: "error", origin, message }),
      skip: (origin, message) => events.push({ type: "skip", origin, message }),
    };
    const before = total.used;
    const options =
      task.since === undefined ? { limits: task.limits, total } : { limits: task.limits, total, since: task.since };
    await readInputFile(file, options, sink);
    outcomes.push({ events, used: total.used - before });
  }
  return outcomes;
}
