/**
 * check's DNS client against a small in-process UDP stand-in server: one shared socket per server,
 * replies matched by ID and question, EDNS(0) with a FORMERR fallback, timeouts, an unreachable
 * server, and the per-stack question memo (issue #6).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import * as packet from "dns-packet";
import {
  DnsFailure,
  EDNS_UDP_SIZE,
  memoizeQueries,
  query,
  QUERIES_PER_SOCKET,
  type DnsResponse,
  type DnsServer,
  type QueryType,
} from "../../../cli/check/dnsClient";
import { freePort } from "../../support/ports";

type Behaviour = "answer" | "wrong-question" | "silent" | "formerr-on-edns";

interface StandIn {
  server: DnsServer;
  /** Every query received: name, whether it carried an OPT record (and its size), source port. */
  readonly received: { name: string; opt: number | undefined; port: number }[];
  behaviour: (name: string) => Behaviour;
  close(): Promise<void>;
}

/** Answers TXT <name> with the text "answer for <name>", after a delay that reorders replies. */
async function startStandIn(): Promise<StandIn> {
  const socket: Socket = createSocket("udp4");
  const standIn: StandIn = {
    server: { host: "127.0.0.1", port: 0 },
    received: [],
    behaviour: () => "answer",
    close: () =>
      new Promise<void>((resolve) =>
        socket.close(() => {
          resolve();
        }),
      ),
  };
  socket.on("message", (message, remote) => {
    const request = packet.decode(message);
    const question = request.questions?.[0];
    if (question === undefined) return;
    const opt = (request.additionals ?? []).find((a) => a.type === "OPT") as { udpPayloadSize?: number } | undefined;
    standIn.received.push({ name: question.name, opt: opt?.udpPayloadSize, port: remote.port });
    const behaviour = standIn.behaviour(question.name);
    if (behaviour === "silent") return;
    if (behaviour === "formerr-on-edns" && opt !== undefined) {
      // Like some EDNS-unaware servers: FORMERR (rcode 1) without the question.
      socket.send(
        packet.encode({ id: request.id, type: "response", flags: packet.RECURSION_DESIRED | 1, questions: [] }),
        remote.port,
        remote.address,
      );
      return;
    }
    const asked = behaviour === "wrong-question" ? { ...question, name: `other.${question.name}` } : question;
    const reply = packet.encode({
      id: request.id,
      type: "response",
      flags: packet.RECURSION_DESIRED,
      questions: [asked],
      answers: [{ type: "TXT", name: question.name, ttl: 60, data: [`answer for ${question.name}`] }],
    });
    // Later questions answered first: replies arrive out of order.
    setTimeout(
      () => {
        socket.send(reply, remote.port, remote.address);
      },
      30 - (standIn.received.length % 30),
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  standIn.server = { host: "127.0.0.1", port: socket.address().port };
  return standIn;
}

const text = (response: DnsResponse): string =>
  (response.records[0]?.data as readonly string[] | undefined)?.join("") ?? "";

describe("check DNS client", () => {
  let standIn: StandIn;
  before(async () => {
    standIn = await startStandIn();
  });
  after(async () => {
    await standIn.close();
  });

  it("sends concurrent questions over one socket and gives each its own answer, out of order", async () => {
    standIn.behaviour = () => "answer";
    const first = standIn.received.length;
    const names = Array.from({ length: QUERIES_PER_SOCKET - 1 }, (_, i) => `q${i}.example`);
    const answers = await Promise.all(
      names.map((name) => query(standIn.server, name, "TXT", { timeoutMs: 2000, attempts: 1 })),
    );
    assert.deepEqual(
      answers.map(text),
      names.map((name) => `answer for ${name}`),
    );
    const ports = new Set(standIn.received.slice(first).map((r) => r.port));
    assert.equal(ports.size, 1, "one source port: one socket");
  });

  it("moves to a new socket (a new random source port) every QUERIES_PER_SOCKET queries (RFC 5452 §9.2)", async () => {
    standIn.behaviour = () => "answer";
    const first = standIn.received.length;
    const names = Array.from({ length: 2 * QUERIES_PER_SOCKET + 10 }, (_, i) => `rotate${i}.example`);
    const answers = await Promise.all(
      names.map((name) => query(standIn.server, name, "TXT", { timeoutMs: 2000, attempts: 1 })),
    );
    assert.deepEqual(
      answers.map(text),
      names.map((name) => `answer for ${name}`),
    );
    const ports = new Set(standIn.received.slice(first).map((r) => r.port));
    assert.ok(ports.size >= 3, `expected at least 3 source ports, got ${ports.size}`);
  });

  it("matches a name given with the root's trailing dot (include:_spf.example.com.)", async () => {
    standIn.behaviour = () => "answer";
    assert.equal(
      text(await query(standIn.server, "Dotted.Example.", "TXT", { timeoutMs: 2000, attempts: 1 })),
      "answer for Dotted.Example",
    );
  });

  it("reports a server it cannot even connect to as unreachable, not an internal error", async () => {
    await assert.rejects(
      query({ host: "255.255.255.255", port: 53 }, "a.example", "TXT", { timeoutMs: 2000, attempts: 1 }),
      { name: "DnsFailure", code: "UNREACHABLE" },
    );
  });

  it("asks with EDNS(0) and a 1232-octet UDP payload (RFC 6891)", async () => {
    standIn.behaviour = () => "answer";
    await query(standIn.server, "edns.example", "TXT", { timeoutMs: 2000 });
    assert.equal(standIn.received.at(-1)?.opt, EDNS_UDP_SIZE);
    assert.equal(EDNS_UDP_SIZE, 1232);
  });

  it("asks again without EDNS when the server answers FORMERR (RFC 6891 §7)", async () => {
    standIn.behaviour = () => "formerr-on-edns";
    const response = await query(standIn.server, "old-server.example", "TXT", { timeoutMs: 2000 });
    assert.equal(text(response), "answer for old-server.example");
    assert.deepEqual(
      standIn.received.filter((r) => r.name === "old-server.example").map((r) => r.opt),
      [EDNS_UDP_SIZE, undefined],
    );
  });

  it("ignores a reply whose question is not the one asked, and times out", async () => {
    standIn.behaviour = () => "wrong-question";
    await assert.rejects(
      query(standIn.server, "spoofed.example", "TXT", { timeoutMs: 300, attempts: 1 }),
      (error: unknown) => {
        assert.ok(error instanceof DnsFailure);
        assert.equal(error.code, "TIMEOUT");
        assert.equal(
          error.message,
          `no usable answer from 127.0.0.1:${standIn.server.port} within 300 ms; ignored 1 reply with its ID, the last one for another question: other.spoofed.example TXT`,
        );
        return true;
      },
    );
  });

  it("retries a silent server once per attempt, then reports the timeout", async () => {
    standIn.behaviour = () => "silent";
    const before = standIn.received.filter((r) => r.name === "silent.example").length;
    await assert.rejects(query(standIn.server, "silent.example", "TXT", { timeoutMs: 150, attempts: 2 }), {
      name: "DnsFailure",
      code: "TIMEOUT",
    });
    assert.equal(standIn.received.filter((r) => r.name === "silent.example").length - before, 2);
  });

  it("reports a closed port as unreachable without waiting for the timeout, and recovers", async () => {
    const server = { host: "127.0.0.1", port: await freePort() };
    const started = Date.now();
    const results = await Promise.allSettled([
      query(server, "a.example", "TXT", { timeoutMs: 5000 }),
      query(server, "b.example", "TXT", { timeoutMs: 5000 }),
    ]);
    assert.ok(Date.now() - started < 4000, "ICMP port unreachable fails the pending queries at once");
    for (const result of results) {
      if (result.status !== "rejected") assert.fail("a query to a closed port was answered");
      assert.ok(result.reason instanceof DnsFailure && result.reason.code === "UNREACHABLE", String(result.reason));
    }
    // A later query to a live server is unaffected.
    standIn.behaviour = () => "answer";
    assert.equal(
      text(await query(standIn.server, "after.example", "TXT", { timeoutMs: 2000 })),
      "answer for after.example",
    );
  });
});

describe("memoizeQueries", () => {
  const server: DnsServer = { host: "192.0.2.1", port: 53 };
  const fake = () => {
    const asked: string[] = [];
    const ask = (
      s: DnsServer,
      name: string,
      type: QueryType,
      options: { recursion?: boolean } = {},
    ): Promise<DnsResponse> => {
      asked.push(`${s.host}:${s.port} ${name} ${type} ${String(options.recursion ?? true)}`);
      return name.startsWith("fail")
        ? Promise.reject(new DnsFailure("TIMEOUT", "t"))
        : Promise.resolve({ rcode: "NOERROR", answers: [], records: [], octets: 12 });
    };
    return { asked, ask };
  };

  it("asks each distinct question once; name case does not make a new question", async () => {
    const { asked, ask } = fake();
    const memo = memoizeQueries(ask);
    const a = memo(server, "Example.com", "TXT");
    const b = memo(server, "example.com", "TXT");
    assert.equal(a, b);
    await Promise.all([a, b, memo(server, "example.com", "TXT", {})]);
    assert.deepEqual(asked, ["192.0.2.1:53 Example.com TXT true"]);
  });

  it("keeps type, server, port and recursion apart", async () => {
    const { asked, ask } = fake();
    const memo = memoizeQueries(ask);
    await Promise.all([
      memo(server, "example.com", "TXT"),
      memo(server, "example.com", "MX"),
      memo({ host: "192.0.2.2", port: 53 }, "example.com", "TXT"),
      memo({ host: "192.0.2.1", port: 5353 }, "example.com", "TXT"),
      memo(server, "example.com", "TXT", { recursion: false }),
    ]);
    assert.equal(asked.length, 5);
  });

  it("answers a repeated failed question with the same failure, without asking again", async () => {
    const { asked, ask } = fake();
    const memo = memoizeQueries(ask);
    await assert.rejects(memo(server, "fail.example", "TXT"), { code: "TIMEOUT" });
    await assert.rejects(memo(server, "fail.example", "TXT"), { code: "TIMEOUT" });
    assert.equal(asked.length, 1);
  });
});
