/**
 * "Now", for key ages, createdAt and retiredAt dates. `SENDER_AUTH_NOW` (an ISO date or timestamp)
 * pins it, so tests and reproductions of a past run give the same output.
 */
/** Milliseconds in a day, for key ages and overlap windows. */
export const DAY_MS = 86_400_000;

export function currentTime(): Date {
  const pinned = process.env["SENDER_AUTH_NOW"];
  if (pinned === undefined || pinned === "") return new Date();
  const time = new Date(pinned);
  if (Number.isNaN(time.getTime())) throw new Error(`SENDER_AUTH_NOW=${JSON.stringify(pinned)} is not an ISO date`);
  return time;
}
