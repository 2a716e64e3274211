/**
 * The bounds of one stack's live check (issue #11): whatever DNS answers, a stack's check ends within
 * its deadline, sends at most so many queries and keeps at most so many octets of answers. A bound
 * that trips cuts the lookups it stops short (each one a failing finding in its place) and becomes a
 * failing `check-limit` finding that names it. Per query, the DNS client bounds each attempt (see
 * QueryOptions); the SPF walk has its own bounds in checks.ts.
 */
import type { Finding } from "./checks";
import { DnsFailure, memoizeQueries, networkDns, type DnsClient, type QueryFunction } from "./dnsClient";

export interface CheckLimits {
  /**
   * Wall-clock time one stack's check may take, in milliseconds: lookups still waiting then are cut
   * short and no new one starts. A healthy resolver needs well under a second for a stack; a query
   * that gets no answer ends after 2 attempts of 2 s; 30 s leaves room for SPF's sequential include
   * lookups through a slow resolver.
   * @default 30000
   */
  readonly stackTimeoutMs: number;
  /**
   * DNS queries one stack's check may send; each distinct question is asked once. RFC 7208 §4.6.4
   * bounds one SPF evaluation at 10 DNS-querying terms plus 10 address lookups per `mx` term (111
   * queries; mailauth asks A and AAAA: 211), and the records, DKIM and DMARC checks add a few dozen.
   * @default 500
   */
  readonly maxQueries: number;
  /**
   * Octets of DNS answers one stack's check may receive in total, which bounds its memory (a single
   * answer is at most 65,535 octets). A real stack's answers add up to a few kilobytes.
   * @default 1048576
   */
  readonly maxAnswerOctets: number;
}

export const DEFAULT_CHECK_LIMITS: CheckLimits = {
  stackTimeoutMs: 30_000,
  maxQueries: 500,
  maxAnswerOctets: 1_048_576,
};

/** A duration for messages: `30 s`, `2.5 s`. */
export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;
const octets = (n: number): string => n.toLocaleString("en-US");

type Bound = "deadline" | "queries" | "octets";

/**
 * One stack's DNS budget: `ask` is the query function the stack's check uses (each question once,
 * see memoizeQueries), asking through `dns` and refusing or cutting short what goes past a bound.
 * The deadline runs from `startedAt` (default: construction); `close()` stops its timer.
 */
export class StackBudget {
  readonly ask: QueryFunction;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private queries = 0;
  private received = 0;
  /** Per bound that tripped: how many lookups it refused or cut short. */
  private readonly stopped = new Map<Bound, number>();

  constructor(
    readonly limits: CheckLimits,
    dns: DnsClient = networkDns,
    startedAt: number = Date.now(),
  ) {
    const stop = (): void => {
      this.controller.abort(
        new DnsFailure("LIMIT", `cut short at the ${seconds(limits.stackTimeoutMs)} deadline for checking one stack`),
      );
    };
    const remaining = startedAt + limits.stackTimeoutMs - Date.now();
    // Already past (the stack's key reads took it all): nothing is asked at all.
    if (remaining <= 0) stop();
    this.timer = setTimeout(stop, Math.max(0, remaining));
    const bounded: QueryFunction = async (server, name, type, options = {}) => {
      const refusal = this.refusal();
      if (refusal !== undefined) {
        this.count(refusal.bound);
        throw refusal.failure;
      }
      this.queries++;
      let response;
      try {
        response = await dns.query(server, name, type, { ...options, signal: this.controller.signal });
      } catch (error) {
        if (error instanceof DnsFailure && error.code === "LIMIT" && this.controller.signal.aborted) {
          this.count("deadline");
        }
        throw error;
      }
      this.received += response.octets;
      if (this.received > limits.maxAnswerOctets) {
        this.count("octets");
        throw this.octetsFailure();
      }
      return response;
    };
    this.ask = memoizeQueries(bounded);
  }

  private octetsFailure(): DnsFailure {
    return new DnsFailure(
      "LIMIT",
      `not used: the answers for this stack passed the limit of ${octets(this.limits.maxAnswerOctets)} octets`,
    );
  }

  private refusal(): { bound: Bound; failure: DnsFailure } | undefined {
    if (this.controller.signal.aborted) {
      return {
        bound: "deadline",
        failure: new DnsFailure(
          "LIMIT",
          `not asked: the ${seconds(this.limits.stackTimeoutMs)} deadline for checking one stack had passed`,
        ),
      };
    }
    if (this.received > this.limits.maxAnswerOctets) return { bound: "octets", failure: this.octetsFailure() };
    if (this.queries >= this.limits.maxQueries) {
      return {
        bound: "queries",
        failure: new DnsFailure(
          "LIMIT",
          `not asked: this stack's check reached its limit of ${this.limits.maxQueries} DNS queries`,
        ),
      };
    }
    return undefined;
  }

  private count(bound: Bound): void {
    this.stopped.set(bound, (this.stopped.get(bound) ?? 0) + 1);
  }

  /** One failing `check-limit` finding per bound that tripped, naming it, with what to do. */
  findings(): Finding[] {
    const lookups = (n: number): string => `${n} ${n === 1 ? "lookup" : "lookups"}`;
    const texts: Record<Bound, { message: (n: number) => string; hint: string }> = {
      deadline: {
        message: (n) =>
          `stopped at the ${seconds(this.limits.stackTimeoutMs)} deadline for checking one stack (--stack-timeout): ` +
          `${lookups(n)} cut short or not made; what they would have checked is unverified`,
        hint: "run the check again, with a longer --stack-timeout or a faster --resolver",
      },
      queries: {
        message: (n) =>
          `stopped at the limit of ${this.limits.maxQueries} DNS queries for checking one stack: ${lookups(n)} not made; ` +
          `what they would have checked is unverified`,
        hint: "no receiver asks this much for one domain: see the SPF findings (an include tree past every receiver's limit)",
      },
      octets: {
        message: (n) =>
          `stopped at the limit of ${octets(this.limits.maxAnswerOctets)} octets of DNS answers for checking one stack: ` +
          `${lookups(n)} not used; what they would have checked is unverified`,
        hint: "answers this large are not a stack's records: ask the resolver what it serves for the names above (`dig`)",
      },
    };
    return (["deadline", "queries", "octets"] as const).flatMap((bound) => {
      const n = this.stopped.get(bound);
      return n === undefined
        ? []
        : [
            {
              code: "check-limit",
              result: "fail",
              subject: "check",
              message: texts[bound].message(n),
              hint: texts[bound].hint,
            },
          ];
    });
  }

  /** Aborted at the stack's deadline (its reason a LIMIT DnsFailure): what else the check does stops then too. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
