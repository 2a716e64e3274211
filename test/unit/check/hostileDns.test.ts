/**
 * check's DNS client against the hostile DNS server (issue #11): every query settles, within its
 * bound (attempts × timeout), whatever the server does: a TCP connection closed without an answer
 * or halfway through it, an answer trickling in, replies with another ID, for another name or with a
 * compression loop, floods, echoes; and an abort (the per-stack deadline) cuts it short at once.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DnsFailure, query, type DnsFailureCode, type QueryOptions } from "../../../cli/check/dnsClient";
import {
  answerOctets,
  mapZone,
  startHostileDns,
  type HostileDns,
  type HostileMode,
  type HostileZone,
} from "../../support/hostileDns";

const NAME = "s1._domainkey.hostile.test";
const VALUE = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const ZONE: HostileZone = mapZone({ [NAME]: [{ type: "TXT", data: VALUE }] });

/** Whole seconds of slack on every bound: a shared machine can be slow, never faster than the bound. */
const SLACK_MS = 3000;

/** The query's rejection, and how long it took. */
async function failure(
  server: HostileDns,
  options: QueryOptions,
  name = NAME,
): Promise<{ code: DnsFailureCode; message: string; ms: number }> {
  const started = Date.now();
  try {
    await query(server, name, "TXT", options);
  } catch (error) {
    assert.ok(error instanceof DnsFailure, String(error));
    return { code: error.code, message: error.message, ms: Date.now() - started };
  }
  return assert.fail(`${name} was answered`);
}

describe("check DNS client against a hostile server", () => {
  let server: HostileDns;
  let where: string;
  const use = (mode: HostileMode): void => {
    server.mode = () => mode;
    server.questions.length = 0;
  };

  before(async () => {
    server = await startHostileDns({ zone: ZONE, trickleMs: 300 });
    where = server.address;
  });
  after(async () => {
    await server.close();
  });

  it("TC, then the TCP connection closed without a byte: a DNS failure, at once, after both attempts", async () => {
    use("tc-then-eof");
    const result = await failure(server, { timeoutMs: 2000, attempts: 2 });
    assert.deepEqual(
      [result.code, result.message],
      ["BADRESPONSE", `${where} closed the TCP connection without answering`],
    );
    assert.ok(result.ms < 2000, `took ${result.ms} ms: a closed connection is not waited for`);
    assert.deepEqual(server.questions, [`${NAME} TXT udp`, `${NAME} TXT tcp`, `${NAME} TXT udp`, `${NAME} TXT tcp`]);
  });

  it("TC, then 12 of the announced octets and EOF: the answer is cut short, a failure and never 'no record'", async () => {
    use("tc-then-half");
    const result = await failure(server, { timeoutMs: 2000, attempts: 1 });
    const announced = answerOctets(ZONE, NAME, "TXT");
    assert.ok(announced > 12);
    assert.deepEqual(
      [result.code, result.message],
      [
        "BADRESPONSE",
        `TCP answer from ${where} cut short: the server closed the connection after 12 of the ${announced} octets it announced`,
      ],
    );
  });

  it("TC, then 12 of the announced octets and a reset: cut short, naming the reset", async () => {
    use("tc-then-reset");
    const result = await failure(server, { timeoutMs: 2000, attempts: 1 });
    const announced = answerOctets(ZONE, NAME, "TXT");
    assert.deepEqual(
      [result.code, result.message],
      [
        "BADRESPONSE",
        `TCP answer from ${where} cut short: the connection was reset (ECONNRESET) after 12 of the ${announced} octets it announced`,
      ],
    );
  });

  it("an answer trickling in over TCP faster than the timeout cannot extend it: each attempt ends at its deadline", async () => {
    use("tc-then-trickle");
    const announced = answerOctets(ZONE, NAME, "TXT");
    const result = await failure(server, { timeoutMs: 1000, attempts: 2 });
    assert.equal(result.code, "TIMEOUT");
    const match = new RegExp(
      `^no complete TCP answer from ${where.replaceAll(".", "\\.")} within 1000 ms \\(stopped after (\\d+) of the ${announced} octets it announced\\)$`,
    ).exec(result.message);
    assert.ok(match, result.message);
    assert.ok(Number(match[1]) < announced);
    // One byte every 300 ms would have reset a 1000 ms idle timeout forever.
    assert.ok(result.ms >= 2 * 1000 - 50, `took ${result.ms} ms`);
    assert.ok(result.ms < 2 * 1000 + SLACK_MS, `took ${result.ms} ms`);
  });

  it("TC, then a TCP answer with another ID: refused at once", async () => {
    use("tc-then-wrong-id");
    const result = await failure(server, { timeoutMs: 2000, attempts: 1 });
    assert.deepEqual(
      [result.code, result.message],
      ["BADRESPONSE", `unusable TCP answer from ${where}: its ID is not the query's`],
    );
  });

  it("TC, then a TCP answer whose name is a compression pointer to itself: malformed, refused at once", async () => {
    use("tc-then-compression-loop");
    const result = await failure(server, { timeoutMs: 2000, attempts: 1 });
    assert.deepEqual(
      [result.code, result.message],
      ["BADRESPONSE", `malformed TCP answer from ${where} (Cannot decode name (bad pointer))`],
    );
  });

  it("a UDP compression loop is ignored (a spoofer could send one) and named when the query times out", async () => {
    use("compression-loop");
    const result = await failure(server, { timeoutMs: 300, attempts: 1 });
    assert.deepEqual(
      [result.code, result.message],
      [
        "TIMEOUT",
        `no usable answer from ${where} within 300 ms; ignored 1 reply with its ID, the last one malformed: Cannot decode name (bad pointer)`,
      ],
    );
  });

  it("UDP answers with another ID are never taken: a timeout", async () => {
    use("wrong-id");
    const result = await failure(server, { timeoutMs: 300, attempts: 2 });
    assert.deepEqual([result.code, result.message], ["TIMEOUT", `no answer from ${where} within 300 ms`]);
    assert.equal(server.questions.length, 2);
  });

  it("the query echoed back (QR=0) is not an answer", async () => {
    use("echo");
    const result = await failure(server, { timeoutMs: 300, attempts: 1 });
    assert.equal(
      result.message,
      `no usable answer from ${where} within 300 ms; ignored 1 reply with its ID, the last one not a response`,
    );
  });

  it("a bare NOERROR header without the question is not an (empty) answer", async () => {
    use("header-only");
    const result = await failure(server, { timeoutMs: 300, attempts: 1 });
    assert.equal(
      result.message,
      `no usable answer from ${where} within 300 ms; ignored 1 reply with its ID, the last one NOERROR without the question`,
    );
  });

  it("an answer whose records are all owned by another name is a failure, never the record asked for", async () => {
    use("other-name");
    const result = await failure(server, { timeoutMs: 2000, attempts: 1 });
    assert.deepEqual(
      [result.code, result.message],
      ["BADRESPONSE", `${where} answered with records for other names only (attacker.test)`],
    );
  });

  it("a flood of junk datagrams (other IDs, some near 64 KB) is dropped unread; the query times out in bound", async () => {
    use("flood");
    const result = await failure(server, { timeoutMs: 500, attempts: 2 });
    assert.deepEqual([result.code, result.message], ["TIMEOUT", `no answer from ${where} within 500 ms`]);
    assert.ok(result.ms < 2 * 500 + SLACK_MS, `took ${result.ms} ms`);
  });

  it("a CNAME chain is followed; records owned by other names in the same answer are dropped", async () => {
    const chained = await startHostileDns({
      zone: (name, type) =>
        name === "alias.hostile.test" && type === "TXT"
          ? [
              { type: "TXT", owner: "elsewhere.test", data: "forged" },
              { type: "CNAME", data: "target.hostile.test" },
              { type: "TXT", owner: "target.hostile.test", data: "at the target" },
            ]
          : undefined,
    });
    try {
      const response = await query(chained, "alias.hostile.test", "TXT", { timeoutMs: 2000 });
      assert.deepEqual(
        response.answers.map((a) => `${a.name} ${a.type}`),
        ["alias.hostile.test CNAME", "target.hostile.test TXT"],
      );
      assert.deepEqual(
        response.records.map((r) => (r.data as string[]).join("")),
        ["at the target"],
      );
    } finally {
      await chained.close();
    }
  });

  it("TC, then a 64 KB answer over TCP: taken whole, its size reported (the per-stack budget bounds the sum)", async () => {
    use("tc-then-huge");
    const response = await query(server, NAME, "TXT", { timeoutMs: 2000 });
    assert.ok(response.octets > 60_000 && response.octets <= 65_535, String(response.octets));
    assert.equal((response.records[0]?.data as string[]).join(""), VALUE);
  });

  it("an aborted signal fails the query at once with its reason; aborting a waiting query ends it at once", async () => {
    use("silent");
    const reason = new DnsFailure("LIMIT", "stopped by the test");
    const aborted = await failure(server, { timeoutMs: 2000, signal: AbortSignal.abort(reason) });
    assert.deepEqual([aborted.code, aborted.message], ["LIMIT", "stopped by the test"]);
    assert.equal(server.questions.length, 0, "nothing is sent");

    const controller = new AbortController();
    setTimeout(() => {
      controller.abort(reason);
    }, 200);
    const cut = await failure(server, { timeoutMs: 10_000, attempts: 2, signal: controller.signal });
    assert.deepEqual([cut.code, cut.message], ["LIMIT", "stopped by the test"]);
    assert.ok(cut.ms < 10_000, `took ${cut.ms} ms`);
    assert.equal(server.questions.length, 1, "an aborted query is not tried again");

    use("tc-then-trickle");
    const tcp = new AbortController();
    setTimeout(() => {
      tcp.abort(reason);
    }, 200);
    const cutTcp = await failure(server, { timeoutMs: 10_000, signal: tcp.signal });
    assert.equal(cutTcp.message, "stopped by the test");
    assert.ok(cutTcp.ms < 10_000, `took ${cutTcp.ms} ms`);
  });

  it("TC, then a good TCP answer: taken", async () => {
    use("tc-then-serve");
    const response = await query(server, NAME, "TXT", { timeoutMs: 2000 });
    assert.deepEqual(
      response.records.map((r) => (r.data as string[]).join("")),
      [VALUE],
    );
    assert.deepEqual(server.questions, [`${NAME} TXT udp`, `${NAME} TXT tcp`]);
  });
});
