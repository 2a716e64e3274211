/**
 * A hostile DNS server for tests (issue #11): UDP and TCP on one free port of 127.0.0.1, answering
 * from a zone function, except where `mode` says to misbehave: truncate and then close the TCP
 * connection without an answer, halfway through it or with a reset, trickle the answer byte by byte,
 * answer with another ID, for another name, with a compression pointer loop, flood the client with
 * junk, stay silent, echo the query, or answer with 64 KB. Every question is recorded, so tests
 * can also assert how much a client asked. Served negative answers may carry an SOA (`negativeTtl`).
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import * as packet from "dns-packet";

/**
 * A record the zone serves, owned by the asked name unless `owner` says otherwise (TXT strings over
 * 255 octets are split).
 */
export type HostileAnswer = { readonly ttl?: number; readonly owner?: string } & (
  | { readonly type: "TXT"; readonly data: string | readonly string[] }
  | { readonly type: "CNAME" | "NS" | "A" | "AAAA"; readonly data: string }
  | { readonly type: "MX"; readonly data: { preference: number; exchange: string } }
);

/** The zone: the records of `type` at `name`; undefined for a name that does not exist (NXDOMAIN). */
export type HostileZone = (name: string, type: string) => readonly HostileAnswer[] | undefined;

export const HOSTILE_MODES = [
  /** Answers from the zone. */
  "serve",
  /** Never answers. */
  "silent",
  /** UDP: TC=1 without answers; TCP: the zone's answer. */
  "tc-then-serve",
  /** UDP: TC=1; TCP: closes the connection without a byte. */
  "tc-then-eof",
  /** UDP: TC=1; TCP: announces the whole answer, sends its first 12 octets, closes. */
  "tc-then-half",
  /** UDP: TC=1; TCP: the first 12 octets of the answer, then (after 100 ms) a reset (RST). */
  "tc-then-reset",
  /** UDP: TC=1; TCP: the answer one octet every `trickleMs`, for as long as the client listens. */
  "tc-then-trickle",
  /** UDP: TC=1; TCP: the answer with another ID. */
  "tc-then-wrong-id",
  /** UDP: TC=1; TCP: an answer whose owner name is a compression pointer to itself. */
  "tc-then-compression-loop",
  /** UDP: TC=1; TCP: the zone's answer padded with TXT strings to about 64,000 octets. */
  "tc-then-huge",
  /** UDP: the answer with ID 0 (which the client never uses, so no other pending query can match it). */
  "wrong-id",
  /** UDP: an answer whose owner name is a compression pointer to itself. */
  "compression-loop",
  /** UDP: the zone's answer at the name, but every record owned by another name (`attacker.test`). */
  "other-name",
  /** UDP: the query sent back as it came (QR=0). */
  "echo",
  /** UDP: a bare 12-octet NOERROR header with the query's ID: no question, no answer. */
  "header-only",
  /** UDP: `floodCount` junk datagrams (ID 0, as for wrong-id; some near 64 KB), never the answer. */
  "flood",
] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];

export interface HostileDnsOptions {
  readonly zone: HostileZone;
  /** How each question is answered. @default () => "serve" */
  readonly mode?: (name: string, type: string) => HostileMode;
  /** @default 1500 */
  readonly trickleMs?: number;
  /** @default 300 */
  readonly floodCount?: number;
  /** NXDOMAIN and NODATA answers carry an SOA of `.test` with this MINIMUM and TTL (RFC 2308 §5). @default none */
  readonly negativeTtl?: number;
}

export interface HostileDns {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `127.0.0.1:<port>`, as `check --resolver` takes it. */
  readonly address: string;
  /** Replaceable between tests. */
  mode: (name: string, type: string) => HostileMode;
  /** Every question received, `<name> <type> <udp|tcp>`, in order. */
  readonly questions: string[];
  close(): Promise<void>;
}

const RCODE_NXDOMAIN = 3;

function toPacketAnswer(asked: string, answer: HostileAnswer): packet.Answer {
  const ttl = answer.ttl ?? 300;
  const name = answer.owner ?? asked;
  if (answer.type === "TXT") {
    const strings = typeof answer.data === "string" ? [answer.data] : [...answer.data];
    const chunks = strings.flatMap((s) => {
      const bytes = Buffer.from(s, "latin1");
      const parts: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 255) parts.push(bytes.subarray(i, i + 255));
      return parts.length === 0 ? [Buffer.alloc(0)] : parts;
    });
    return { type: "TXT", name, ttl, data: chunks };
  }
  if (answer.type === "MX") return { type: "MX", name, ttl, data: answer.data };
  return { type: answer.type, name, ttl, data: answer.data };
}

/** The zone's reply to `query` (NXDOMAIN when the zone does not know the name). */
function zoneReply(zone: HostileZone, query: packet.Packet, owner?: string, negativeTtl?: number): packet.Packet {
  const question = query.questions?.[0];
  const found = question === undefined ? undefined : zone(question.name.toLowerCase(), question.type);
  const soa: packet.Answer = {
    type: "SOA",
    name: "test",
    ttl: negativeTtl ?? 0,
    data: {
      mname: "ns.test",
      rname: "hostmaster.test",
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: negativeTtl ?? 0,
    },
  };
  return {
    id: query.id ?? 0,
    type: "response",
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (found === undefined ? RCODE_NXDOMAIN : 0),
    questions: query.questions ?? [],
    answers: (found ?? []).map((a) => toPacketAnswer(owner ?? question?.name ?? "", a)),
    authorities: negativeTtl !== undefined && (found ?? []).length === 0 ? [soa] : [],
  };
}

/** A reply whose first answer's owner name is a compression pointer to itself (RFC 1035 §4.1.4 forbids it). */
function compressionLoop(query: packet.Packet): Buffer {
  const head = packet.encode({
    id: query.id ?? 0,
    type: "response",
    flags: packet.RECURSION_DESIRED,
    questions: query.questions ?? [],
  });
  head.writeUInt16BE(1, 6); // ANCOUNT 1
  const at = head.length;
  const pointer = Buffer.alloc(2);
  pointer.writeUInt16BE(0xc000 | at);
  // TYPE TXT, CLASS IN, TTL 300, RDLENGTH 3, "\x02ok"
  const rest = Buffer.from([0, 16, 0, 1, 0, 0, 1, 44, 0, 3, 2, 0x6f, 0x6b]);
  return Buffer.concat([head, pointer, rest]);
}

/** A TC=1 reply with the question and nothing else. */
function truncated(query: packet.Packet): Buffer {
  return packet.encode({
    id: query.id ?? 0,
    type: "response",
    flags: packet.RECURSION_DESIRED | packet.TRUNCATED_RESPONSE,
    questions: query.questions ?? [],
  });
}

/** The zone's answer plus TXT padding up to about 64,000 octets (a TCP message holds 65,535). */
function huge(zone: HostileZone, query: packet.Packet): Buffer {
  const reply = zoneReply(zone, query);
  const name = query.questions?.[0]?.name ?? "";
  const padding: packet.Answer = {
    type: "TXT",
    name,
    ttl: 300,
    data: Array.from({ length: 245 }, (_, i) => Buffer.alloc(255, 0x61 + (i % 26))),
  };
  return packet.encode({ ...reply, answers: [...(reply.answers ?? []), padding] });
}

function lengthPrefixed(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

export async function startHostileDns(options: HostileDnsOptions): Promise<HostileDns> {
  const trickleMs = options.trickleMs ?? 1500;
  const floodCount = options.floodCount ?? 300;
  const timers = new Set<NodeJS.Timeout>();
  const connections = new Set<Socket>();
  let udp: UdpSocket | undefined;
  let tcp: Server | undefined;

  const later = (ms: number, action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  const server: HostileDns = {
    host: "127.0.0.1",
    port: 0,
    address: "",
    mode: options.mode ?? (() => "serve"),
    questions: [],
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const connection of connections) connection.destroy();
      const closing = (target: { close(callback: () => void): unknown } | undefined): Promise<void> =>
        new Promise<void>((resolve) => {
          if (target) target.close(resolve);
          else resolve();
        });
      await Promise.all([closing(udp), closing(tcp)]);
    },
  };

  const onUdp = (message: Buffer, remote: RemoteInfo): void => {
    let query: packet.Packet;
    try {
      query = packet.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (question === undefined || udp === undefined) return;
    const socket = udp;
    server.questions.push(`${question.name.toLowerCase()} ${question.type} udp`);
    const send = (reply: Buffer): void => {
      socket.send(reply, remote.port, remote.address);
    };
    const id = query.id ?? 0;
    const mode = server.mode(question.name.toLowerCase(), question.type);
    switch (mode) {
      case "silent":
        return;
      case "wrong-id":
        send(packet.encode({ ...zoneReply(options.zone, query), id: 0 }));
        return;
      case "compression-loop":
        send(compressionLoop(query));
        return;
      case "other-name":
        send(packet.encode(zoneReply(options.zone, query, "attacker.test")));
        return;
      case "echo":
        send(message);
        return;
      case "header-only": {
        const header = Buffer.alloc(12);
        header.writeUInt16BE(id, 0);
        header.writeUInt16BE(0x8180, 2); // QR, RD, RA; NOERROR; no sections
        send(header);
        return;
      }
      case "flood":
        for (let i = 0; i < floodCount; i++) {
          const junk = Buffer.alloc(i % 50 === 0 ? 60_000 : 512, i % 2 === 0 ? 0x00 : 0xc0);
          junk.writeUInt16BE(0, 0);
          send(junk);
        }
        return;
      case "serve":
        send(packet.encode(zoneReply(options.zone, query, undefined, options.negativeTtl)));
        return;
      default:
        // Every tc-then-* mode: the answer does not fit, ask over TCP.
        send(truncated(query));
    }
  };

  const onTcp = (connection: Socket): void => {
    connections.add(connection);
    connection.on("close", () => connections.delete(connection));
    connection.on("error", () => undefined);
    let received = Buffer.alloc(0);
    connection.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      let query: packet.Packet;
      try {
        query = packet.decode(received.subarray(2, 2 + received.readUInt16BE(0)));
      } catch {
        connection.destroy();
        return;
      }
      const question = query.questions?.[0];
      if (question === undefined) {
        connection.destroy();
        return;
      }
      server.questions.push(`${question.name.toLowerCase()} ${question.type} tcp`);
      const answer = packet.encode(zoneReply(options.zone, query));
      switch (server.mode(question.name.toLowerCase(), question.type)) {
        case "tc-then-eof":
          connection.end();
          return;
        case "tc-then-half":
          connection.end(lengthPrefixed(answer).subarray(0, 2 + 12));
          return;
        case "tc-then-reset":
          connection.write(lengthPrefixed(answer).subarray(0, 2 + 12));
          later(100, () => connection.resetAndDestroy());
          return;
        case "tc-then-trickle": {
          const bytes = lengthPrefixed(answer);
          let sent = 0;
          const drip = (): void => {
            if (connection.destroyed || sent >= bytes.length) return;
            connection.write(bytes.subarray(sent, sent + 1));
            sent++;
            later(trickleMs, drip);
          };
          drip();
          return;
        }
        case "tc-then-wrong-id":
          connection.end(
            lengthPrefixed(packet.encode({ ...zoneReply(options.zone, query), id: ((query.id ?? 0) + 1) % 65536 })),
          );
          return;
        case "tc-then-compression-loop":
          connection.end(lengthPrefixed(compressionLoop(query)));
          return;
        case "tc-then-huge":
          connection.end(lengthPrefixed(huge(options.zone, query)));
          return;
        default:
          connection.end(lengthPrefixed(answer));
      }
    });
  };

  // One port for both transports: take a free TCP port, then bind UDP to it (retry if it is taken).
  for (let attempt = 0; attempt < 20; attempt++) {
    const candidate = createServer(onTcp);
    await new Promise<void>((resolve, reject) => {
      candidate.once("error", reject);
      candidate.listen(0, "127.0.0.1", () => {
        resolve();
      });
    });
    const address = candidate.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const socket = createSocket("udp4");
    const bound = await new Promise<boolean>((resolve) => {
      socket.once("error", () => {
        resolve(false);
      });
      socket.bind(port, "127.0.0.1", () => {
        resolve(true);
      });
    });
    if (!bound) {
      socket.close();
      await new Promise<void>((resolve) =>
        candidate.close(() => {
          resolve();
        }),
      );
      continue;
    }
    socket.on("message", onUdp);
    udp = socket;
    tcp = candidate;
    return Object.assign(server, { port, address: `127.0.0.1:${port}` });
  }
  throw new Error("no free port for both UDP and TCP on 127.0.0.1");
}

/** A zone from a plain map of names to records; names not in it do not exist (NXDOMAIN). */
export function mapZone(records: Readonly<Record<string, readonly HostileAnswer[]>>): HostileZone {
  const lower = new Map(Object.entries(records).map(([name, answers]) => [name.toLowerCase(), answers]));
  return (name, type) => lower.get(name)?.filter((a) => a.type === type || a.type === "CNAME");
}

/** The exact size of the zone's answer to `name`/`type`, as the server encodes it (any ID). */
export function answerOctets(zone: HostileZone, name: string, type: packet.RecordType): number {
  return packet.encode(zoneReply(zone, { id: 0, type: "query", questions: [{ name, type, class: "IN" }] })).length;
}
