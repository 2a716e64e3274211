/**
 * The DMARC aggregate reports `status --reports` read, handed to its worker threads (issue #14).
 *
 * Why shared memory: a row needs only its domain's summary and sightings, but which domain a stack
 * has is known only once its file is read and parsed, which is the work the threads are there to
 * do; so the main thread cannot pick each batch's share beforehand. Cloning everything into every
 * batch instead would copy the aggregates of up to 10,000 report files hundreds of times. So the
 * main thread serialises them once into a SharedArrayBuffer, which crosses to a thread without being
 * copied, and each thread deserialises it once and keeps it for every batch of the run (`id` tells
 * the runs apart). The cost is one copy per thread, and no per-batch copy at all.
 */
import { randomUUID } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import type { StatusSettings } from "./row";

/** What rows need of the reports: per policy domain, the summed reports and each report's sightings. */
export type RowReports = NonNullable<StatusSettings["reports"]>;

/** The reports of one run, serialised into memory every thread can read. */
export interface SharedReports {
  /** Tells one run's reports from another's. */
  readonly id: string;
  /** `node:v8` serialisation (the structured clone format) of {@link RowReports}. */
  readonly bytes: SharedArrayBuffer;
}

export function shareReports(reports: RowReports): SharedReports {
  const serialised = serialize({ summaries: reports.summaries, sightings: reports.sightings });
  const bytes = new SharedArrayBuffer(serialised.length);
  new Uint8Array(bytes).set(serialised);
  return { id: randomUUID(), bytes };
}

let cached: { readonly id: string; readonly reports: RowReports } | undefined;

/** The reports `shared` holds, deserialised once per thread and run. */
export function sharedReports(shared: SharedReports): RowReports {
  if (cached?.id !== shared.id) {
    cached = { id: shared.id, reports: deserialize(new Uint8Array(shared.bytes)) as RowReports };
  }
  return cached.reports;
}
