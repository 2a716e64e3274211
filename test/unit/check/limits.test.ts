/**
 * StackBudget (issue #11): one stack's deadline, query count and answer octets, with a stand-in
 * query function, so each bound is exact: what is refused or cut short, with which message, and the
 * one `check-limit` finding per bound that names it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DnsFailure, type DnsResponse, type DnsServer, type QueryFunction } from "../../../cli/check/dnsClient";
import { DEFAULT_CHECK_LIMITS, StackBudget, type CheckLimits } from "../../../cli/check/limits";

const SERVER: DnsServer = { host: "192.0.2.53", port: 53 };
const answer = (octets: number): DnsResponse => ({ rcode: "NOERROR", answers: [], records: [], octets });
const limits = (overrides: Partial<CheckLimits>): CheckLimits => ({ ...DEFAULT_CHECK_LIMITS, ...overrides });

/** Resolves every question with `octets`; records what was sent. */
function answering(octets = 100): { sent: string[]; send: QueryFunction } {
  const sent: string[] = [];
  return {
    sent,
    send: (_server, name, type) => {
      sent.push(`${name} ${type}`);
      return Promise.resolve(answer(octets));
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DnsFailure && error.code === "LIMIT", String(error));
    return error.message;
  }
  return assert.fail("not refused");
}

describe("StackBudget", () => {
  it("defaults: 30 s per stack, 500 queries, 1 MiB of answers", () => {
    assert.deepEqual(DEFAULT_CHECK_LIMITS, { stackTimeoutMs: 30_000, maxQueries: 500, maxAnswerOctets: 1_048_576 });
  });

  it("refuses queries past maxQueries (repeated questions are answered from memory and do not count)", async () => {
    const { sent, send } = answering();
    const budget = new StackBudget(limits({ maxQueries: 2 }), { query: send });
    try {
      await budget.ask(SERVER, "a.test", "TXT");
      await budget.ask(SERVER, "A.test.", "TXT");
      await budget.ask(SERVER, "b.test", "TXT");
      assert.equal(
        await rejection(budget.ask(SERVER, "c.test", "TXT")),
        "not asked: this stack's check reached its limit of 2 DNS queries",
      );
      await rejection(budget.ask(SERVER, "d.test", "MX"));
      await rejection(budget.ask(SERVER, "c.test", "TXT"));
      assert.deepEqual(sent, ["a.test TXT", "b.test TXT"]);
      assert.deepEqual(budget.findings(), [
        {
          code: "check-limit",
          result: "fail",
          subject: "check",
          message:
            "stopped at the limit of 2 DNS queries for checking one stack: 2 lookups not made; what they would have checked is unverified",
          hint: "no receiver asks this much for one domain: see the SPF findings (an include tree past every receiver's limit)",
        },
      ]);
    } finally {
      budget.close();
    }
  });

  it("refuses the answer that takes the total past maxAnswerOctets, and every query after it", async () => {
    const { sent, send } = answering(600);
    const budget = new StackBudget(limits({ maxAnswerOctets: 1000 }), { query: send });
    try {
      await budget.ask(SERVER, "a.test", "TXT");
      const message = "not used: the answers for this stack passed the limit of 1,000 octets";
      assert.equal(await rejection(budget.ask(SERVER, "b.test", "TXT")), message);
      assert.equal(await rejection(budget.ask(SERVER, "c.test", "TXT")), message);
      assert.deepEqual(sent, ["a.test TXT", "b.test TXT"]);
      assert.deepEqual(
        budget.findings().map((f) => f.message),
        [
          "stopped at the limit of 1,000 octets of DNS answers for checking one stack: 2 lookups not used; what they would have checked is unverified",
        ],
      );
    } finally {
      budget.close();
    }
  });

  it("at the deadline, cuts pending queries short through their signal and asks nothing more", async () => {
    const sent: string[] = [];
    // Never answers; settles only when the signal aborts, with its reason.
    const send: QueryFunction = (_server, name, type, options = {}) => {
      sent.push(`${name} ${type}`);
      return new Promise<DnsResponse>((_resolve, reject) => {
        const signal = options.signal;
        assert.ok(signal, "every query carries the budget's signal");
        signal.addEventListener("abort", () => {
          reject(signal.reason as Error);
        });
      });
    };
    const budget = new StackBudget(limits({ stackTimeoutMs: 200 }), { query: send });
    try {
      const started = Date.now();
      const pending = [budget.ask(SERVER, "a.test", "TXT"), budget.ask(SERVER, "b.test", "TXT")];
      for (const query of pending) {
        assert.equal(await rejection(query), "cut short at the 0.2 s deadline for checking one stack");
      }
      assert.ok(Date.now() - started < 200 + 3000, "the deadline ends them, not a timeout");
      assert.equal(
        await rejection(budget.ask(SERVER, "c.test", "TXT")),
        "not asked: the 0.2 s deadline for checking one stack had passed",
      );
      assert.deepEqual(sent, ["a.test TXT", "b.test TXT"]);
      assert.deepEqual(
        budget.findings().map((f) => f.message),
        [
          "stopped at the 0.2 s deadline for checking one stack (--stack-timeout): 3 lookups cut short or not made; what they would have checked is unverified",
        ],
      );
    } finally {
      budget.close();
    }
  });

  it("within every bound: no finding", async () => {
    const { send } = answering();
    const budget = new StackBudget(DEFAULT_CHECK_LIMITS, { query: send });
    await budget.ask(SERVER, "a.test", "TXT");
    budget.close();
    assert.deepEqual(budget.findings(), []);
  });
});
