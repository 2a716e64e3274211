/**
 * `check --planned` (issue #12), its parts: which questions are the plan's (PlannedZones.owns), the
 * answers an authoritative server for the plan gives, the in-process server asked through the
 * check's own DNS client over UDP and TCP, and the routing client (plannedQuery) that sends the
 * plan's questions to it, every other one where it was going, and follows a CNAME out of the plan.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as packet from "dns-packet";
import { plannedQuery } from "../../../cli/check/planned";
import { reply, startPlannedServer, type PlannedServer } from "../../../cli/check/plannedServer";
import { PlannedZones } from "../../../cli/check/plannedZones";
import {
  EDNS_UDP_SIZE,
  query,
  type DnsResponse,
  type DnsServer,
  type QueryFunction,
  type QueryType,
} from "../../../cli/check/dnsClient";
import type { ServedRecord } from "../../../components/providers/types";
import { fixtureKey } from "../../support/fixtures";

const KEY = `v=DKIM1; k=rsa; p=${fixtureKey("rsa-4096").publicKey}`;
/** A 4096-bit key record split as providers split it: 255-octet character-strings. */
const chunks = (value: string): string[] => value.match(/.{1,255}/g) ?? [];

const txt = (name: string, value: string, ttl = 600): ServedRecord => ({ name, type: "TXT", ttl, data: chunks(value) });

const SERVED: readonly ServedRecord[] = [
  txt("example.test", "v=spf1 ip4:192.0.2.10 -all"),
  txt("example.test", "google-site-verification=token"),
  txt("s1._domainkey.example.test", KEY),
  { name: "esp._domainkey.example.test", type: "CNAME", ttl: 600, data: "s1.dkim.provider.test" },
  { name: "in._domainkey.example.test", type: "CNAME", ttl: 600, data: "s1._domainkey.example.test" },
  txt("_dmarc.example.test", "v=DMARC1; p=reject"),
  txt("other.test._report._dmarc.example.test", "v=DMARC1"),
  // A parked domain: null MX and a wildcard revocation (RFC 4592).
  { name: "parked.test", type: "MX", ttl: 300, data: "0 ." },
  txt("*._domainkey.parked.test", "v=DKIM1; p="),
];

const zones = new PlannedZones([
  { domain: "example.test", served: SERVED.filter((r) => r.name.endsWith("example.test")) },
  { domain: "parked.test", served: SERVED.filter((r) => r.name.endsWith("parked.test")) },
]);

describe("PlannedZones", () => {
  const owns: readonly [string, QueryType, boolean, string][] = [
    ["example.test", "TXT", true, "the apex TXT set the plan publishes"],
    ["EXAMPLE.test.", "TXT", true, "names compared without case and root dot"],
    ["example.test", "MX", false, "the apex MX: `up` leaves it alone, an SPF mx term asks it live"],
    ["example.test", "A", false, "the apex A (SPF a term)"],
    ["_spf.example.test", "TXT", false, "a name in the zone the plan does not publish (a hand-made include)"],
    ["s1._domainkey.example.test", "TXT", true, "a selector"],
    ["gone._domainkey.example.test", "TXT", true, "a selector the plan does not publish: NXDOMAIN after `up`"],
    ["_domainkey.example.test", "TXT", true, "the _domainkey name itself"],
    ["_dmarc.example.test", "TXT", true, "the DMARC record"],
    ["x.test._report._dmarc.example.test", "TXT", true, "a report authorisation the plan does not publish"],
    ["s1.dkim.provider.test", "TXT", false, "a CNAME target at an email provider"],
    ["_dmarc.test", "TXT", false, "the DMARC tree walk above the domain"],
    ["parked.test", "MX", true, "the null MX of a parked domain"],
    ["parked.test", "TXT", false, "a parked domain's apex TXT when the plan has none there"],
    ["x._domainkey.parked.test", "TXT", true, "under a wildcard"],
  ];
  for (const [name, type, expected, why] of owns) {
    it(`${expected ? "owns" : "does not own"} ${type} ${name}: ${why}`, () => {
      assert.equal(zones.owns(name, type), expected);
    });
  }

  it("answers a record set with every record, each with its character-strings", () => {
    assert.deepEqual(zones.answer("example.test", "TXT"), {
      rcode: "NOERROR",
      answers: [SERVED[0], SERVED[1]],
      zone: "example.test",
    });
  });

  it("follows a CNAME within the plan, and stops at one that leaves it (the asker follows that one)", () => {
    assert.deepEqual(zones.answer("in._domainkey.example.test", "TXT"), {
      rcode: "NOERROR",
      answers: [SERVED[4], SERVED[2]],
      zone: "example.test",
    });
    assert.deepEqual(zones.answer("esp._domainkey.example.test", "TXT"), {
      rcode: "NOERROR",
      answers: [SERVED[3]],
      zone: "example.test",
    });
    assert.deepEqual(zones.answer("esp._domainkey.example.test", "CNAME").answers, [SERVED[3]]);
  });

  it("NXDOMAIN for a name that does not exist, NODATA at an existing name and at an empty non-terminal", () => {
    assert.deepEqual(zones.answer("gone._domainkey.example.test", "TXT"), {
      rcode: "NXDOMAIN",
      answers: [],
      zone: "example.test",
    });
    assert.deepEqual(zones.answer("s1._domainkey.example.test", "CNAME"), {
      rcode: "NOERROR",
      answers: [],
      zone: "example.test",
    });
    // Only names below it exist (a selector, report authorisations).
    for (const name of ["_domainkey.example.test", "_report._dmarc.example.test"]) {
      assert.deepEqual(zones.answer(name, "TXT"), { rcode: "NOERROR", answers: [], zone: "example.test" }, name);
    }
  });

  it("synthesises a wildcard's records at a name that does not exist, not at one that does (RFC 4592)", () => {
    assert.deepEqual(zones.answer("anything._domainkey.parked.test", "TXT"), {
      rcode: "NOERROR",
      answers: [{ ...txt("*._domainkey.parked.test", "v=DKIM1; p="), name: "anything._domainkey.parked.test" }],
      zone: "parked.test",
    });
    assert.deepEqual(zones.answer("_domainkey.parked.test", "TXT").answers, []);
  });

  it("REFUSED for a question that is not the plan's", () => {
    assert.deepEqual(zones.answer("example.test", "MX"), { rcode: "REFUSED", answers: [], zone: undefined });
  });
});

describe("the in-process server, asked through the check's DNS client", () => {
  let server: PlannedServer;
  before(async () => {
    server = await startPlannedServer(zones);
  });
  after(async () => {
    await server.close();
  });

  const ask = (name: string, type: QueryType): Promise<DnsResponse> =>
    query(server, name, type, { recursion: false, timeoutMs: 2000, attempts: 1 });

  it("serves a record set with its TTL and character-strings over UDP", async () => {
    const response = await ask("example.test", "TXT");
    assert.equal(response.rcode, "NOERROR");
    assert.deepEqual(
      response.records.map((r) => [r.name, r.ttl, r.data]),
      [
        ["example.test", 600, ["v=spf1 ip4:192.0.2.10 -all"]],
        ["example.test", 600, ["google-site-verification=token"]],
      ],
    );
  });

  it("a 4096-bit key (about 800 octets) fits the EDNS(0) UDP size; chunks arrive as served", async () => {
    const response = await ask("s1._domainkey.example.test", "TXT");
    assert.deepEqual(response.records[0]?.data, chunks(KEY));
    assert.ok(response.octets > 512 && response.octets <= EDNS_UDP_SIZE, `${response.octets} octets`);
  });

  it("an answer over the UDP size comes truncated (TC=1), and in full over TCP", async () => {
    const many = Array.from({ length: 12 }, (_, i) => txt("big.test", `token-${i}=${"x".repeat(200)}`));
    const big = new PlannedZones([{ domain: "big.test", served: many }]);
    const udpQuery = packet.encode({
      id: 7,
      type: "query",
      flags: 0,
      questions: [{ name: "big.test", type: "TXT", class: "IN" }],
    });
    const udp = packet.decode(reply(big, udpQuery, "udp") ?? Buffer.alloc(0));
    assert.equal((udp.flags ?? 0) & packet.TRUNCATED_RESPONSE, packet.TRUNCATED_RESPONSE);
    assert.deepEqual(udp.answers, []);
    const bigServer = await startPlannedServer(big);
    try {
      const response = await query(bigServer, "big.test", "TXT", { recursion: false, attempts: 1 });
      assert.equal(response.records.length, 12);
      assert.ok(response.octets > EDNS_UDP_SIZE, `${response.octets} octets`);
    } finally {
      await bigServer.close();
    }
  });

  it("NXDOMAIN and NODATA carry the SOA whose minimum is the negative-caching TTL (RFC 2308 §5)", async () => {
    const nx = await ask("gone._domainkey.example.test", "TXT");
    assert.deepEqual([nx.rcode, nx.records, nx.negativeTtl], ["NXDOMAIN", [], 300]);
    const nodata = await ask("_domainkey.example.test", "TXT");
    assert.deepEqual([nodata.rcode, nodata.records, nodata.negativeTtl], ["NOERROR", [], 300]);
  });

  it("the null MX of a parked domain", async () => {
    const response = await ask("parked.test", "MX");
    assert.deepEqual(
      response.records.map((r) => r.data),
      ["0 ."],
    );
  });

  it("REFUSED for a question that is not the plan's, authoritative (AA) answers, RD echoed", () => {
    const asked = packet.encode({
      id: 9,
      type: "query",
      flags: packet.RECURSION_DESIRED,
      questions: [{ name: "example.test", type: "A", class: "IN" }],
    });
    const refused = packet.decode(reply(zones, asked, "udp") ?? Buffer.alloc(0)) as packet.Packet & { rcode?: string };
    assert.equal(refused.rcode, "REFUSED");
    assert.equal((refused.flags ?? 0) & packet.AUTHORITATIVE_ANSWER, packet.AUTHORITATIVE_ANSWER);
    assert.equal((refused.flags ?? 0) & packet.RECURSION_DESIRED, packet.RECURSION_DESIRED);
    assert.equal((refused.flags ?? 0) & packet.RECURSION_AVAILABLE, 0);
  });

  it("no reply to what is not a query: a response, no question, junk", () => {
    const response = packet.encode({ id: 1, type: "response", questions: [{ name: "example.test", type: "TXT" }] });
    assert.equal(reply(zones, response, "udp"), undefined);
    assert.equal(reply(zones, packet.encode({ id: 1, type: "query", questions: [] }), "udp"), undefined);
    assert.equal(reply(zones, Buffer.from("junk"), "udp"), undefined);
  });
});

describe("plannedQuery: the plan's questions to the plan, the rest where they were going", () => {
  const upstream: DnsServer = { host: "192.0.2.53", port: 53 };
  const planned = { host: "127.0.0.1", port: 5300, close: () => Promise.resolve() };
  const response = (records: DnsResponse["records"], rcode = "NOERROR"): DnsResponse => ({
    rcode,
    answers: records,
    records,
    octets: 100,
  });

  /** A stand-in client: the in-process zones for `planned`, a fixed answer for anything else. */
  function fake(): { asked: string[]; send: QueryFunction } {
    const asked: string[] = [];
    const send: QueryFunction = (server, name, type, options) => {
      asked.push(`${server.port} ${name} ${type} ${String(options?.recursion ?? true)}`);
      if (server.port !== planned.port) {
        return Promise.resolve(
          response([{ name, type, ttl: 60, data: type === "TXT" ? ["v=DKIM1; k=rsa; p=ESP"] : "192.0.2.1" }]),
        );
      }
      const answer = zones.answer(name, type);
      const answers = answer.answers.map((r) => ({ name: r.name, type: r.type, ttl: r.ttl, data: r.data }));
      return Promise.resolve({
        rcode: answer.rcode,
        answers,
        records: answers.filter((a) => a.type === type),
        octets: 50,
      });
    };
    return { asked, send };
  }

  it("asks the plan's questions at the in-process server without recursion, and no other server", async () => {
    const { asked, send } = fake();
    const ask = plannedQuery(zones, planned, send);
    const result = await ask(upstream, "_dmarc.example.test", "TXT", { recursion: true });
    assert.deepEqual(
      result.records.map((r) => r.data),
      [["v=DMARC1; p=reject"]],
    );
    assert.deepEqual(asked, ["5300 _dmarc.example.test TXT false"]);
  });

  it("sends every other question to the server it was meant for, options unchanged", async () => {
    const { asked, send } = fake();
    await plannedQuery(zones, planned, send)(upstream, "example.test", "A", { recursion: true });
    assert.deepEqual(asked, ["53 example.test A true"]);
  });

  it("follows a CNAME from the plan to an email provider at the resolver, as a resolver would after `up`", async () => {
    const { asked, send } = fake();
    const result = await plannedQuery(zones, planned, send)(upstream, "esp._domainkey.example.test", "TXT", {});
    assert.deepEqual(asked, ["5300 esp._domainkey.example.test TXT false", "53 s1.dkim.provider.test TXT true"]);
    assert.deepEqual(
      result.answers.map((a) => `${a.name} ${a.type}`),
      ["esp._domainkey.example.test CNAME", "s1.dkim.provider.test TXT"],
    );
    assert.deepEqual(
      result.records.map((r) => r.data),
      [["v=DKIM1; k=rsa; p=ESP"]],
    );
    assert.equal(result.octets, 150);
  });

  it("does not follow a CNAME when the CNAME itself is asked", async () => {
    const { asked, send } = fake();
    await plannedQuery(zones, planned, send)(upstream, "esp._domainkey.example.test", "CNAME", {});
    assert.deepEqual(asked, ["5300 esp._domainkey.example.test CNAME false"]);
  });
});
