/**
 * A small DNS client for `check`: raw queries (dns-packet over UDP, TCP when truncated) so that TTLs,
 * response codes, timeouts and unreachable servers are visible, which Node's resolver hides. Retries
 * are bounded. Also adapts to the `(name, rrtype)` resolver mailauth takes.
 */
import { createSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import { getServers } from "node:dns";
import { isIP, Socket } from "node:net";
import * as packet from "dns-packet";

export type QueryType = "TXT" | "CNAME" | "MX" | "A" | "AAAA" | "NS";

export interface DnsServer {
  readonly host: string;
  readonly port: number;
}

export interface Answer {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  /** TXT: the character-strings; CNAME/NS: the target; MX: "pref exchange"; A/AAAA: the address. */
  readonly data: string | readonly string[];
}

export interface DnsResponse {
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ... */
  readonly rcode: string;
  readonly answers: readonly Answer[];
  /** Answers of the asked type at the end of any CNAME chain. */
  readonly records: readonly Answer[];
}

/** A lookup that produced no answer at all: timeout, unreachable server, malformed reply. */
export class DnsFailure extends Error {
  override readonly name = "DnsFailure";
  constructor(
    readonly code: "TIMEOUT" | "UNREACHABLE" | "BADRESPONSE",
    message: string,
  ) {
    super(message);
  }
}

export interface QueryOptions {
  /** Milliseconds per attempt. @default 2000 */
  readonly timeoutMs?: number;
  /** Attempts per query. @default 2 */
  readonly attempts?: number;
  /** Ask for recursion (a resolver) or not (an authoritative server). @default true */
  readonly recursion?: boolean;
}

/** Parses `host[:port]` / `[v6]:port`; undefined when malformed. */
export function parseServer(spec: string): DnsServer | undefined {
  const match =
    /^\[([^\]]+)\](?::(\d+))?$/.exec(spec) ??
    /^([^:]+)(?::(\d+))?$/.exec(spec) ??
    (isIP(spec) === 6 ? [spec, spec, undefined] : null);
  const host = match?.[1];
  const port = match?.[2] === undefined ? 53 : Number(match[2]);
  if (host === undefined || isIP(host) === 0 || !(port >= 1 && port <= 65535)) return undefined;
  return { host, port };
}

/** The first server of the system resolver configuration (/etc/resolv.conf). */
export function systemServer(): DnsServer {
  const first = getServers()[0];
  const parsed = first === undefined ? undefined : parseServer(first);
  return parsed ?? { host: "127.0.0.1", port: 53 };
}

/**
 * A connected UDP socket per server, shared by up to QUERIES_PER_SOCKET queries to it (issue #6: a
 * socket per query cost more than the query). Queries are told apart by a random 16-bit ID that no other pending
 * query to that server has, and a reply counts only if its ID and question match (RFC 5452 §4.1).
 * A socket error (ICMP port unreachable on a connected socket) fails every query pending on it and
 * the next query opens a new socket; so does every QUERIES_PER_SOCKET-th query, for a new random
 * source port. The socket never keeps the process alive: query timers do.
 */
class UdpChannel {
  private readonly socket: ReturnType<typeof createSocket>;
  private readonly pending = new Map<
    number,
    { readonly name: string; readonly type: QueryType; readonly settle: (reply: packet.Packet | DnsFailure) => void }
  >();
  private closed = false;
  /** Queries sent; after QUERIES_PER_SOCKET the channel takes no more and closes once answered. */
  private sent = 0;
  /** Resolves once connected: a connected UDP socket cannot send before. */
  private readonly connected: Promise<void>;

  constructor(
    private readonly server: DnsServer,
    private readonly onClose: () => void,
  ) {
    this.socket = createSocket(isIP(server.host) === 6 ? "udp6" : "udp4");
    this.socket.unref();
    this.socket.on("error", (error) => {
      this.fail(error);
    });
    this.socket.on("message", (message) => {
      this.receive(message);
    });
    this.connected = new Promise((resolve) => {
      // A failed connect (no route, a broadcast address) reaches only this callback, not 'error'.
      this.socket.connect(server.port, server.host, (error?: Error) => {
        if (error) this.fail(error);
        else resolve();
      });
    });
  }

  private receive(message: Buffer): void {
    let reply: packet.Packet;
    try {
      reply = packet.decode(message);
    } catch {
      return;
    }
    const waiter = reply.id === undefined ? undefined : this.pending.get(reply.id);
    const question = reply.questions?.[0];
    if (waiter === undefined) return;
    // A server that does not know EDNS may answer FORMERR without echoing the question; all such a
    // reply can cause is the retry without EDNS.
    const formerr = (reply as packet.Packet & { rcode?: string }).rcode === "FORMERR";
    if (
      question === undefined ? !formerr : canonicalName(question.name) !== waiter.name || question.type !== waiter.type
    ) {
      return;
    }
    waiter.settle(reply);
  }

  /** Whether this channel has sent its share of queries and only waits for their answers. */
  retired(): boolean {
    return this.sent >= QUERIES_PER_SOCKET;
  }

  private fail(error: NodeJS.ErrnoException): void {
    this.close(
      new DnsFailure(
        "UNREACHABLE",
        `${this.server.host}:${this.server.port} is unreachable (${error.code ?? error.message})`,
      ),
    );
  }

  private close(error: DnsFailure): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.retired()) this.onClose();
    for (const waiter of [...this.pending.values()]) waiter.settle(error);
    this.socket.close();
  }

  /** Sends one question; resolves with the reply and the query as sent (for a retry over TCP). */
  ask(
    name: string,
    type: QueryType,
    recursion: boolean,
    edns: boolean,
    timeoutMs: number,
  ): Promise<{ readonly reply: packet.Packet; readonly query: Buffer }> {
    let id = randomInt(1, 65536);
    while (this.pending.has(id)) id = randomInt(1, 65536);
    this.sent++;
    // Retired: the next query gets a fresh socket on a new random source port (RFC 5452 §9.2).
    if (this.retired()) this.onClose();
    const buffer = packet.encode({
      id,
      type: "query",
      flags: recursion ? packet.RECURSION_DESIRED : 0,
      questions: [{ name, type, class: "IN" }],
      // EDNS(0) with a 1232-octet UDP payload (RFC 6891; the DNS Flag Day 2020 size): a 2048-bit DKIM
      // key no longer needs the TCP retry a 512-octet answer limit forces.
      additionals: edns
        ? [
            {
              type: "OPT",
              name: ".",
              udpPayloadSize: EDNS_UDP_SIZE,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ]
        : [],
    });
    const reply = new Promise<packet.Packet>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle(
          new DnsFailure("TIMEOUT", `no answer from ${this.server.host}:${this.server.port} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const settle = (result: packet.Packet | DnsFailure): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (this.retired() && this.pending.size === 0 && !this.closed) {
          this.closed = true;
          this.socket.close();
        }
        if (result instanceof DnsFailure) reject(result);
        else resolve(result);
      };
      this.pending.set(id, { name: canonicalName(name), type, settle });
      if (this.closed) {
        settle(new DnsFailure("UNREACHABLE", `${this.server.host}:${this.server.port} is unreachable`));
        return;
      }
      void this.connected.then(() => {
        if (!this.closed && this.pending.has(id)) {
          // An ICMP error can surface on the next send instead of as an 'error' event (Linux).
          this.socket.send(buffer, (error) => {
            if (error) this.fail(error);
          });
        }
      });
    });
    return reply.then((r) => ({ reply: r, query: buffer }));
  }
}

const channels = new Map<string, UdpChannel>();

/**
 * How many queries share one socket (one source port) before the next socket takes over: an
 * off-path spoofer has to guess the port as well as an ID (RFC 5452 §9.2), while a check of
 * hundreds of domains still opens a handful of sockets instead of thousands.
 */
export const QUERIES_PER_SOCKET = 100;

/** Lower case, without the root's trailing dot: how names in a question are compared. */
function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

export const EDNS_UDP_SIZE = 1232;

function channelFor(server: DnsServer): UdpChannel {
  const key = `${server.host}\0${String(server.port)}`;
  let channel = channels.get(key);
  if (channel === undefined) {
    channel = new UdpChannel(server, () => channels.delete(key));
    channels.set(key, channel);
  }
  return channel;
}

function tcpQuery(server: DnsServer, query: Buffer, timeoutMs: number): Promise<packet.Packet> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = Buffer.alloc(0);
    const fail = (error: DnsFailure): void => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => {
      fail(new DnsFailure("TIMEOUT", `no TCP answer from ${server.host}:${server.port} within ${timeoutMs} ms`));
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      fail(
        new DnsFailure(
          "UNREACHABLE",
          `${server.host}:${server.port} is unreachable over TCP (${error.code ?? error.message})`,
        ),
      );
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        socket.end();
        try {
          resolve(packet.decode(received.subarray(2, 2 + received.readUInt16BE(0))));
        } catch {
          reject(new DnsFailure("BADRESPONSE", `malformed TCP answer from ${server.host}:${server.port}`));
        }
      }
    });
    socket.connect(server.port, server.host, () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
  });
}

/** The fields of a decoded answer that `check` reads (dns-packet's types omit some of them). */
interface RawAnswer {
  readonly name: string;
  readonly type: string;
  readonly ttl?: number;
  readonly data?: unknown;
}

function answerData(answer: RawAnswer): string | string[] {
  switch (answer.type) {
    case "TXT": {
      const data = answer.data as Buffer | string | (Buffer | string)[];
      const parts = Array.isArray(data) ? data : [data];
      return parts.map((part) => (typeof part === "string" ? part : part.toString("latin1")));
    }
    case "MX": {
      const mx = answer.data as { preference: number; exchange: string };
      return `${mx.preference} ${mx.exchange === "" ? "." : mx.exchange}`;
    }
    default:
      return typeof answer.data === "string" ? answer.data : JSON.stringify(answer.data);
  }
}

/** One query, UDP first, TCP when the answer was truncated; bounded attempts. */
export async function query(
  server: DnsServer,
  name: string,
  type: QueryType,
  options: QueryOptions = {},
): Promise<DnsResponse> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const attempts = options.attempts ?? 2;
  let lastError: DnsFailure | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      let sent = await channelFor(server).ask(name, type, options.recursion ?? true, true, timeoutMs);
      // RFC 6891 §7: a server that does not know EDNS answers FORMERR; ask it again without.
      if ((sent.reply as packet.Packet & { rcode?: string }).rcode === "FORMERR") {
        sent = await channelFor(server).ask(name, type, options.recursion ?? true, false, timeoutMs);
      }
      let reply = sent.reply;
      if (((reply.flags ?? 0) & packet.TRUNCATED_RESPONSE) !== 0) reply = await tcpQuery(server, sent.query, timeoutMs);
      const raw = (reply.answers ?? []) as unknown as RawAnswer[];
      const answers: Answer[] = raw.map((a) => ({
        name: a.name.toLowerCase(),
        type: a.type,
        ttl: a.ttl ?? 0,
        data: answerData(a),
      }));
      // dns-packet decodes the response code as a string; its type definitions leave it out.
      const rcode = (reply as packet.Packet & { rcode?: string }).rcode ?? "NOERROR";
      return { rcode, answers, records: answers.filter((a) => a.type === type) };
    } catch (error) {
      if (!(error instanceof DnsFailure)) throw error;
      lastError = error;
      if (error.code === "UNREACHABLE") break;
    }
  }
  throw lastError ?? new DnsFailure("TIMEOUT", `no answer from ${server.host}:${server.port}`);
}

export type QueryFunction = (
  server: DnsServer,
  name: string,
  type: QueryType,
  options?: QueryOptions,
) => Promise<DnsResponse>;

/**
 * A `query` that asks each distinct question (server, name, type, recursion) once and answers repeats
 * from the first answer, failures included. `check` uses one per stack: the stack's own comparison,
 * mailauth's SPF, DKIM and DMARC evaluation and the include walk ask several names more than once
 * (the apex TXT up to four times), and the answers cannot differ within one check anyway.
 */
export function memoizeQueries(ask: QueryFunction = query): QueryFunction {
  const answers = new Map<string, Promise<DnsResponse>>();
  return (server, name, type, options = {}) => {
    const key = `${server.host}\0${String(server.port)}\0${name.toLowerCase()}\0${type}\0${String(options.recursion ?? true)}`;
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = ask(server, name, type, options);
      answers.set(key, answer);
    }
    return answer;
  };
}

/**
 * The `(name, rrtype)` resolver mailauth takes, answering like `dns.promises.resolve`: TXT as
 * string[][], MX as { exchange, priority }[], errors with ENOTFOUND / ENODATA / ESERVFAIL / ETIMEOUT.
 */
export function mailauthResolver(
  server: DnsServer,
  options: QueryOptions = {},
  ask: QueryFunction = query,
): (name: string, rrtype: string) => Promise<unknown> {
  return async (name, rrtype) => {
    const fail = (code: string, message: string): never => {
      const error = new Error(message) as NodeJS.ErrnoException;
      error.code = code;
      throw error;
    };
    let response: DnsResponse;
    try {
      response = await ask(server, name, rrtype as QueryType, options);
    } catch (error) {
      if (error instanceof DnsFailure) {
        return fail(error.code === "TIMEOUT" ? "ETIMEOUT" : "ECONNREFUSED", error.message);
      }
      throw error;
    }
    if (response.rcode === "NXDOMAIN") return fail("ENOTFOUND", `${rrtype} ${name}: NXDOMAIN`);
    if (response.rcode !== "NOERROR") return fail(`E${response.rcode}`, `${rrtype} ${name}: ${response.rcode}`);
    if (response.records.length === 0) return fail("ENODATA", `${rrtype} ${name}: no data`);
    switch (rrtype) {
      case "TXT":
        return response.records.map((r) => [...(r.data as string[])]);
      case "MX":
        return response.records.map((r) => {
          const [priority = "0", exchange = ""] = String(r.data).split(" ");
          return { priority: Number(priority), exchange: exchange === "." ? "" : exchange };
        });
      default:
        return response.records.map((r) => String(r.data));
    }
  };
}
