/**
 * The in-process DNS server of `check --planned` (issue #12): UDP and TCP on one port of 127.0.0.1,
 * authoritative for the plan's questions (PlannedZones), so that the check asks it exactly as it
 * asks a live server: the same client, EDNS(0), truncation and the retry over TCP for answers that
 * do not fit. Queries that are not the plan's are REFUSED; malformed ones get no answer.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import * as packet from "dns-packet";
import type { ServedRecord } from "../../components/providers/types";
import { EDNS_OPT, EDNS_UDP_SIZE, type DnsServer, type QueryType } from "./dnsClient";
import type { PlannedZones } from "./plannedZones";

/**
 * The SOA of a negative answer: placeholder names under `.invalid` (RFC 6761 §6.4), and a negative
 * TTL of 300 s (RFC 2308 §5). What the provider's own SOA says is not known before `up`.
 */
const SOA = {
  mname: "planned.sender-auth.invalid",
  rname: "hostmaster.sender-auth.invalid",
  serial: 1,
  refresh: 3600,
  retry: 600,
  expire: 604800,
  minimum: 300,
} as const;

/** The question types the server answers (the ones the check asks); others are REFUSED. */
const TYPES: readonly QueryType[] = ["TXT", "CNAME", "MX", "A", "AAAA", "NS"];

/** RFC 1035 §4.2.1: without EDNS, a UDP answer is at most 512 octets. */
const CLASSIC_UDP_SIZE = 512;
/** A TCP connection that sends no complete query within this long is closed. */
const TCP_IDLE_MS = 10_000;
const RCODES = { NOERROR: 0, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface PlannedServer extends DnsServer {
  close(): Promise<void>;
}

function toAnswer(record: ServedRecord): packet.Answer {
  const base = { name: record.name, ttl: record.ttl, class: "IN" as const };
  switch (record.type) {
    case "TXT":
      return {
        ...base,
        type: "TXT",
        data: [...(record.data as readonly string[])].map((s) => Buffer.from(s, "latin1")),
      };
    case "CNAME":
      return { ...base, type: "CNAME", data: String(record.data) };
    case "MX": {
      const [preference = "0", exchange = "."] = String(record.data).split(" ");
      return {
        ...base,
        type: "MX",
        data: { preference: Number(preference), exchange: exchange === "." ? "" : exchange },
      };
    }
  }
}

/**
 * The encoded reply to `message`; over UDP within the size the asker can take (its EDNS(0) payload
 * size, at most ours; 512 octets without EDNS), else truncated (TC=1, RFC 7766 §5) for it to ask over
 * TCP. Undefined: no reply (not a query, or malformed).
 */
export function reply(zones: PlannedZones, message: Buffer, transport: "udp" | "tcp"): Buffer | undefined {
  let query: packet.Packet;
  try {
    query = packet.decode(message);
  } catch {
    return undefined;
  }
  const question = query.questions?.[0];
  if (query.type !== "query" || question === undefined) return undefined;
  const opt = (query.additionals ?? []).find((a) => a.type === "OPT") as { udpPayloadSize?: number } | undefined;
  const limit =
    opt === undefined
      ? CLASSIC_UDP_SIZE
      : Math.max(CLASSIC_UDP_SIZE, Math.min(opt.udpPayloadSize ?? CLASSIC_UDP_SIZE, EDNS_UDP_SIZE));
  // RFC 6891 §7: an EDNS query gets an OPT in the answer, with our own UDP size.
  const edns = opt === undefined ? [] : [EDNS_OPT];
  const type = TYPES.find((t) => t === question.type);
  const single = (query.questions ?? []).length === 1 && ((query.flags ?? 0) >> 11) % 16 === 0;
  const answer = single && type !== undefined ? zones.answer(question.name, type) : undefined;
  const rcode = answer === undefined ? (single ? RCODES.REFUSED : RCODES.NOTIMP) : RCODES[answer.rcode];
  const negative = answer !== undefined && answer.rcode !== "REFUSED" && !answer.answers.some((a) => a.type === type);
  const response: packet.Packet = {
    id: query.id ?? 0,
    type: "response",
    // AA, the asker's RD echoed (RFC 1035 §4.1.1), no recursion offered, the response code.
    flags: packet.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & packet.RECURSION_DESIRED) | rcode,
    questions: [question],
    answers: (answer?.answers ?? []).map(toAnswer),
    authorities:
      negative && answer.zone !== undefined
        ? [{ type: "SOA", name: answer.zone, ttl: SOA.minimum, class: "IN", data: SOA }]
        : [],
    additionals: edns,
  };
  const encoded = packet.encode(response);
  if (transport === "tcp" || encoded.length <= limit) return encoded;
  return packet.encode({
    ...response,
    flags: (response.flags ?? 0) | packet.TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
  });
}

/** Starts the server on a free port of 127.0.0.1 (UDP and TCP on the same one). */
export async function startPlannedServer(zones: PlannedZones): Promise<PlannedServer> {
  const connections = new Set<Socket>();
  const onUdp =
    (socket: UdpSocket) =>
    (message: Buffer, remote: RemoteInfo): void => {
      const encoded = reply(zones, message, "udp");
      if (encoded !== undefined) socket.send(encoded, remote.port, remote.address);
    };
  const onTcp = (connection: Socket): void => {
    connections.add(connection);
    connection.setTimeout(TCP_IDLE_MS, () => connection.destroy());
    connection.on("close", () => connections.delete(connection));
    connection.on("error", () => undefined);
    let received = Buffer.alloc(0);
    connection.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // RFC 7766 §6.2.1: several length-prefixed queries may share a connection.
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        const length = received.readUInt16BE(0);
        const encoded = reply(zones, received.subarray(2, 2 + length), "tcp");
        received = received.subarray(2 + length);
        if (encoded === undefined) {
          connection.destroy();
          return;
        }
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(encoded.length);
        connection.write(Buffer.concat([prefix, encoded]));
      }
    });
  };

  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp: Server = createServer(onTcp);
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(0, "127.0.0.1", () => {
        const address = tcp.address();
        resolve(typeof address === "object" && address !== null ? address.port : 0);
      });
    });
    const udp = createSocket("udp4");
    const bound = await new Promise<boolean>((resolve) => {
      udp.once("error", () => {
        resolve(false);
      });
      udp.bind(port, "127.0.0.1", () => {
        resolve(true);
      });
    });
    const closeTcp = (): Promise<void> =>
      new Promise<void>((resolve) => {
        tcp.close(() => {
          resolve();
        });
      });
    if (!bound) {
      udp.close();
      await closeTcp();
      continue;
    }
    udp.on("message", onUdp(udp));
    // A send error (the asker gone) affects that reply only.
    udp.on("error", () => undefined);
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        for (const connection of connections) connection.destroy();
        await Promise.all([
          closeTcp(),
          new Promise<void>((resolve) => {
            udp.close(() => {
              resolve();
            });
          }),
        ]);
      })();
      return closing;
    };
    return { host: "127.0.0.1", port, close };
  }
  throw new Error("check --planned: no port of 127.0.0.1 free for both UDP and TCP");
}
