/**
 * A DnsClient (cli/check/dnsClient.ts) that answers in process from a zone function, the seam
 * `check` and `rotate` share: tests of the check logic run without a socket. Each question is
 * recorded with the server it was sent to and whether it asked for recursion; a name can be made to
 * fail as the network client fails (a DnsFailure), and a name the zone does not hold is NXDOMAIN.
 */
import type { Answer, DnsClient, DnsFailure, DnsResponse } from "../../cli/check/dnsClient";
import type { HostileAnswer, HostileZone } from "./hostileDns";

export interface MemoryDns extends DnsClient {
  /** `server name type` of every question, `(norec)` after those asked without recursion. */
  readonly asked: string[];
}

/** TXT data as character-strings of at most 255 octets, as a server splits a long value. */
function characterStrings(data: string | readonly string[]): readonly string[] {
  if (typeof data !== "string") return data;
  const chunks: string[] = [];
  for (let at = 0; at < data.length; at += 255) chunks.push(data.slice(at, at + 255));
  return chunks.length === 0 ? [""] : chunks;
}

function answerOf(name: string, answer: HostileAnswer): Answer {
  const owner = answer.owner ?? name;
  const ttl = answer.ttl ?? 300;
  switch (answer.type) {
    case "TXT":
      return { name: owner, type: "TXT", ttl, data: characterStrings(answer.data) };
    case "MX":
      return { name: owner, type: "MX", ttl, data: `${answer.data.preference} ${answer.data.exchange}` };
    default:
      return { name: owner, type: answer.type, ttl, data: answer.data };
  }
}

/** A client answering from `zone`; `fail(name, type)` may return the DnsFailure a question ends with. */
export function memoryDns(
  zone: HostileZone,
  fail: (name: string, type: string) => DnsFailure | undefined = () => undefined,
): MemoryDns {
  const asked: string[] = [];
  return {
    asked,
    query(server, name, type, options) {
      asked.push(`${server.host}:${server.port} ${name} ${type}${options?.recursion === false ? " (norec)" : ""}`);
      const failure = fail(name, type);
      if (failure !== undefined) return Promise.reject(failure);
      const found = zone(name.toLowerCase().replace(/\.$/, ""), type);
      const records = (found ?? []).map((answer) => answerOf(name, answer));
      const response: DnsResponse = {
        rcode: found === undefined ? "NXDOMAIN" : "NOERROR",
        answers: records,
        records: records.filter((record) => record.type === type),
        octets: 12 + records.reduce((sum, record) => sum + 12 + JSON.stringify(record.data).length, 0),
        ...(records.length === 0 ? { negativeTtl: 300 } : {}),
      };
      return Promise.resolve(response);
    },
  };
}
