/**
 * A small DNS client for `check`: raw queries (dns-packet over UDP, TCP when truncated) so that TTLs,
 * response codes, timeouts and unreachable servers are visible, which Node's resolver hides. Every
 * query settles within its bound whatever the server does (issue #11): each attempt has an absolute
 * deadline over all its exchanges (UDP, the retry without EDNS, TCP) that no trickle of bytes can
 * extend, a TCP connection closed or reset before the announced answer is complete is a failure, and
 * an AbortSignal (the check's per-stack deadline) cuts a query short. Also adapts to the
 * `(name, rrtype)` resolver mailauth takes.
 */
import { createSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import { getServers } from "node:dns";
import { isIP, Socket } from "node:net";
import * as packet from "dns-packet";
import { parseServer, type DnsServer } from "./server";

export { parseServer, type DnsServer } from "./server";

export type QueryType = "TXT" | "CNAME" | "MX" | "A" | "AAAA" | "NS";

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
  /**
   * The answer section's records owned by the asked name or by a name its CNAME chain leads to;
   * records owned by any other name are dropped (RFC 1034 §3.6.2, §4.3.2), as resolvers do.
   */
  readonly answers: readonly Answer[];
  /** Answers of the asked type at the end of any CNAME chain. */
  readonly records: readonly Answer[];
  /** Size of the DNS message received, in octets. */
  readonly octets: number;
  /**
   * For an answer without records of the asked type (NXDOMAIN or NODATA): how long resolvers may
   * cache that absence, from the SOA in the authority section (RFC 2308 §5: the lesser of its TTL
   * and MINIMUM field); undefined without one.
   */
  readonly negativeTtl?: number;
}

/**
 * Why a lookup produced no usable answer: no answer in time, an unreachable server, a malformed or
 * mismatched reply, or (LIMIT) a bound of the caller, such as the check's per-stack deadline.
 */
export type DnsFailureCode = "TIMEOUT" | "UNREACHABLE" | "BADRESPONSE" | "LIMIT";

export class DnsFailure extends Error {
  override readonly name = "DnsFailure";
  constructor(
    readonly code: DnsFailureCode,
    message: string,
  ) {
    super(message);
  }
}

export interface QueryOptions {
  /**
   * Milliseconds per attempt: an absolute deadline over everything the attempt does (the UDP
   * exchange, the retry without EDNS, the TCP exchange), never extended by data arriving.
   * @default 2000
   */
  readonly timeoutMs?: number;
  /** Attempts per query; an unreachable server or an aborted query is not tried again. @default 2 */
  readonly attempts?: number;
  /** Ask for recursion (a resolver) or not (an authoritative server). @default true */
  readonly recursion?: boolean;
  /** Aborting it fails the query at once, with the signal's reason when that is a DnsFailure. */
  readonly signal?: AbortSignal | undefined;
}

export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_ATTEMPTS = 2;

/** The first server of the system resolver configuration (/etc/resolv.conf). */
export function systemServer(): DnsServer {
  const first = getServers()[0];
  const parsed = first === undefined ? undefined : parseServer(first);
  return parsed ?? { host: "127.0.0.1", port: 53 };
}

const serverName = (server: DnsServer): string => `${server.host}:${server.port}`;

/** Lower case, without the root's trailing dot: how names in a question are compared. */
function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

/** dns-packet decodes the response code as a string; its type definitions leave it out. */
const rcodeOf = (reply: packet.Packet): string => (reply as packet.Packet & { rcode?: string }).rcode ?? "NOERROR";

/** A reply as received: the decoded message, its size, and the query as sent (for a retry over TCP). */
interface Received {
  readonly reply: packet.Packet;
  readonly octets: number;
  readonly query: Buffer;
  readonly id: number;
}

/**
 * Why `reply` cannot be the answer to the question `name`/`type`; undefined when it can. A reply
 * without a question section is accepted only with an error code (a server that does not know EDNS
 * answers FORMERR without echoing the question): all it can cause is a failure or the retry without
 * EDNS, never an answer (RFC 5452 §4.1: a reply must match the question).
 */
function replyProblem(reply: packet.Packet, name: string, type: QueryType): string | undefined {
  if (reply.type !== "response") return "not a response";
  const question = reply.questions?.[0];
  if (question === undefined) {
    const rcode = rcodeOf(reply);
    return rcode === "NOERROR" || rcode === "NXDOMAIN" ? `${rcode} without the question` : undefined;
  }
  if (canonicalName(question.name) !== name || question.type !== type) {
    return `for another question: ${question.name} ${question.type}`;
  }
  return undefined;
}

const abortFailure = (signal: AbortSignal): DnsFailure =>
  signal.reason instanceof DnsFailure ? signal.reason : new DnsFailure("LIMIT", "the lookup was cancelled");

/**
 * One exchange with a server, settled exactly once: by the exchange itself, at the attempt's
 * absolute deadline (a TIMEOUT saying `timedOut()`), or by its signal. `start` begins it and returns
 * its clean-up (drop the waiter, destroy the socket), which runs on every way out.
 */
function exchange<T extends object>(
  { deadline, signal }: Pick<UdpAsk, "deadline" | "signal">,
  timedOut: () => string,
  start: (settle: (result: T | DnsFailure) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // An object, not a `let`: `start` may settle synchronously, which flow analysis cannot see.
    const state: { settled: boolean; cleanUp?: () => void } = { settled: false };
    const settle = (result: T | DnsFailure): void => {
      if (state.settled) return;
      state.settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      state.cleanUp?.();
      if (result instanceof DnsFailure) reject(result);
      else resolve(result);
    };
    const onAbort = (): void => {
      if (signal) settle(abortFailure(signal));
    };
    const timer = setTimeout(
      () => {
        settle(new DnsFailure("TIMEOUT", timedOut()));
      },
      Math.max(0, deadline - Date.now()),
    );
    if (signal?.aborted) {
      settle(abortFailure(signal));
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    const stop = start(settle);
    if (state.settled) stop();
    else state.cleanUp = stop;
  });
}

interface UdpAsk {
  readonly name: string;
  readonly type: QueryType;
  readonly recursion: boolean;
  readonly edns: boolean;
  readonly deadline: number;
  /** The attempt's whole timeout, for the message. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

interface UdpWaiter {
  readonly name: string;
  readonly type: QueryType;
  readonly settle: (result: Received | DnsFailure) => void;
  readonly query: Buffer;
  /** Replies with this waiter's ID that could not be its answer (malformed, another question). */
  ignored: number;
  lastProblem: string;
}

/**
 * A connected UDP socket per server, shared by up to QUERIES_PER_SOCKET queries to it (issue #6: a
 * socket per query cost more than the query). Queries are told apart by a random 16-bit ID that no other pending
 * query to that server has, and a reply counts only if its ID and question match (RFC 5452 §4.1);
 * a datagram whose ID no pending query has is dropped before it is decoded, so a flood costs little.
 * A socket error (ICMP port unreachable on a connected socket) fails every query pending on it and
 * the next query opens a new socket; so does every QUERIES_PER_SOCKET-th query, for a new random
 * source port. The socket never keeps the process alive: query timers do.
 */
class UdpChannel {
  private readonly socket: ReturnType<typeof createSocket>;
  private readonly pending = new Map<number, UdpWaiter>();
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
    if (message.length < 12) return;
    const id = message.readUInt16BE(0);
    const waiter = this.pending.get(id);
    if (waiter === undefined) return;
    let reply: packet.Packet;
    try {
      reply = packet.decode(message);
    } catch (error) {
      waiter.ignored++;
      waiter.lastProblem = `malformed: ${(error as Error).message}`;
      return;
    }
    const problem = replyProblem(reply, waiter.name, waiter.type);
    if (problem !== undefined) {
      waiter.ignored++;
      waiter.lastProblem = problem;
      return;
    }
    waiter.settle({ reply, octets: message.length, query: waiter.query, id });
  }

  /** Whether this channel has sent its share of queries and only waits for their answers. */
  retired(): boolean {
    return this.sent >= QUERIES_PER_SOCKET;
  }

  private fail(error: NodeJS.ErrnoException): void {
    this.close(
      new DnsFailure("UNREACHABLE", `${serverName(this.server)} is unreachable (${error.code ?? error.message})`),
    );
  }

  private close(error: DnsFailure): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.retired()) this.onClose();
    for (const waiter of [...this.pending.values()]) waiter.settle(error);
    this.socket.close();
  }

  /** Sends one question and waits for its reply until the deadline or an abort. */
  ask(request: UdpAsk): Promise<Received> {
    let id = randomInt(1, 65536);
    while (this.pending.has(id)) id = randomInt(1, 65536);
    this.sent++;
    // Retired: the next query gets a fresh socket on a new random source port (RFC 5452 §9.2).
    if (this.retired()) this.onClose();
    const query = packet.encode({
      id,
      type: "query",
      flags: request.recursion ? packet.RECURSION_DESIRED : 0,
      questions: [{ name: request.name, type: request.type, class: "IN" }],
      // EDNS(0) with a 1232-octet UDP payload (RFC 6891; the DNS Flag Day 2020 size): a 2048-bit DKIM
      // key no longer needs the TCP retry a 512-octet answer limit forces.
      additionals: request.edns ? [EDNS_OPT] : [],
    });
    const where = serverName(this.server);
    let waiter: UdpWaiter | undefined;
    return exchange<Received>(
      request,
      () =>
        waiter === undefined || waiter.ignored === 0
          ? `no answer from ${where} within ${request.timeoutMs} ms`
          : `no usable answer from ${where} within ${request.timeoutMs} ms; ` +
            `ignored ${waiter.ignored} ${waiter.ignored === 1 ? "reply" : "replies"} with its ID, ` +
            `the last one ${waiter.lastProblem}`,
      (settle) => {
        waiter = { name: canonicalName(request.name), type: request.type, settle, query, ignored: 0, lastProblem: "" };
        this.pending.set(id, waiter);
        if (this.closed) {
          settle(new DnsFailure("UNREACHABLE", `${where} is unreachable`));
        } else {
          void this.connected.then(() => {
            if (!this.closed && this.pending.has(id)) {
              // An ICMP error can surface on the next send instead of as an 'error' event (Linux).
              this.socket.send(query, (error) => {
                if (error) this.fail(error);
              });
            }
          });
        }
        return () => {
          this.pending.delete(id);
          if (this.retired() && this.pending.size === 0 && !this.closed) {
            this.closed = true;
            this.socket.close();
          }
        };
      },
    );
  }
}

const channels = new Map<string, UdpChannel>();

/**
 * How many queries share one socket (one source port) before the next socket takes over: an
 * off-path spoofer has to guess the port as well as an ID (RFC 5452 §9.2), while a check of
 * hundreds of domains still opens a handful of sockets instead of thousands.
 */
export const QUERIES_PER_SOCKET = 100;

export const EDNS_UDP_SIZE = 1232;

/** The OPT pseudo-record of EDNS(0) (RFC 6891 §6.1.2) announcing EDNS_UDP_SIZE: no flags, no options. */
export const EDNS_OPT: packet.Answer = {
  type: "OPT",
  name: ".",
  udpPayloadSize: EDNS_UDP_SIZE,
  extendedRcode: 0,
  ednsVersion: 0,
  flags: 0,
  flag_do: false,
  options: [],
};

function channelFor(server: DnsServer): UdpChannel {
  const key = `${server.host}\0${String(server.port)}`;
  let channel = channels.get(key);
  if (channel === undefined) {
    channel = new UdpChannel(server, () => channels.delete(key));
    channels.set(key, channel);
  }
  return channel;
}

/**
 * The same question over TCP after a truncated UDP answer (RFC 7766 §5): one connection, one
 * length-prefixed message. Settles on the complete answer, on EOF or a reset before it (the answer
 * is cut short: a failure, never an empty answer), on a reply that is not the answer to this query,
 * and at the attempt's absolute deadline however the bytes trickle in. Bytes past the announced
 * length are never read: a DNS message over TCP is at most 65,535 octets.
 */
function tcpExchange(
  server: DnsServer,
  sent: Received,
  request: Omit<UdpAsk, "recursion" | "edns">,
): Promise<Received> {
  const where = serverName(server);
  const name = canonicalName(request.name);
  /** received: octets of the answer itself; octets: everything received, the length prefix included. */
  const progress = { connected: false, announced: undefined as number | undefined, received: 0, octets: 0 };
  const sofar = (): string =>
    progress.announced === undefined
      ? "before the length of its answer"
      : `after ${progress.received} of the ${progress.announced} octets it announced`;
  return exchange<Received>(
    request,
    () =>
      progress.octets === 0
        ? `no TCP answer from ${where} within ${request.timeoutMs} ms`
        : `no complete TCP answer from ${where} within ${request.timeoutMs} ms (stopped ${sofar()})`,
    (settle) => {
      const socket = new Socket();
      let prefix = Buffer.alloc(0);
      const body: Buffer[] = [];
      /** The connection ended (`reset`: with that error code) before the whole answer had arrived. */
      const cutShort = (reset?: string): DnsFailure =>
        new DnsFailure(
          "BADRESPONSE",
          progress.octets === 0
            ? `${where} ${reset === undefined ? "closed" : `reset (${reset})`} the TCP connection without answering`
            : `TCP answer from ${where} cut short: ` +
                `${reset === undefined ? "the server closed the connection" : `the connection was reset (${reset})`} ${sofar()}`,
        );
      socket.on("connect", () => {
        progress.connected = true;
        const length = Buffer.alloc(2);
        length.writeUInt16BE(sent.query.length);
        socket.write(Buffer.concat([length, sent.query]));
      });
      socket.on("data", (chunk: Buffer) => {
        progress.octets += chunk.length;
        let offset = 0;
        if (progress.announced === undefined) {
          offset = 2 - prefix.length;
          prefix = Buffer.concat([prefix, chunk.subarray(0, offset)]);
          if (prefix.length < 2) return;
          progress.announced = prefix.readUInt16BE(0);
        }
        const part = chunk.subarray(offset, offset + progress.announced - progress.received);
        body.push(part);
        progress.received += part.length;
        if (progress.received < progress.announced) return;
        const message = Buffer.concat(body);
        let reply: packet.Packet;
        try {
          reply = packet.decode(message);
        } catch (error) {
          settle(new DnsFailure("BADRESPONSE", `malformed TCP answer from ${where} (${(error as Error).message})`));
          return;
        }
        const problem =
          reply.id !== sent.id
            ? "its ID is not the query's"
            : (replyProblem(reply, name, request.type) ??
              (((reply.flags ?? 0) & packet.TRUNCATED_RESPONSE) !== 0 ? "truncated (TC) even over TCP" : undefined));
        settle(
          problem === undefined
            ? { reply, octets: message.length, query: sent.query, id: sent.id }
            : new DnsFailure("BADRESPONSE", `unusable TCP answer from ${where}: ${problem}`),
        );
      });
      // EOF before the whole answer: nothing more can come.
      socket.on("end", () => {
        settle(cutShort());
      });
      socket.on("close", () => {
        settle(cutShort());
      });
      socket.on("error", (error: NodeJS.ErrnoException) => {
        const code = error.code ?? error.message;
        settle(
          progress.connected
            ? cutShort(code)
            : new DnsFailure("UNREACHABLE", `${where} is unreachable over TCP (${code})`),
        );
      });
      socket.connect(server.port, server.host);
      return () => {
        socket.destroy();
      };
    },
  );
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

/**
 * The response `check` reads: answers owned by the asked name or its CNAME chain. An answer section
 * holding only records for other names is no answer to this question (a broken or forging server):
 * a BADRESPONSE, so that it can never pass as the record asked for.
 */
function responseOf(server: DnsServer, name: string, type: QueryType, received: Received): DnsResponse {
  const raw = (received.reply.answers ?? []) as unknown as RawAnswer[];
  const all: Answer[] = raw.map((a) => ({
    name: canonicalName(a.name),
    type: a.type,
    ttl: a.ttl ?? 0,
    data: answerData(a),
  }));
  const chain = new Set([canonicalName(name)]);
  // Each pass adds at least one name, or stops: at most one pass per answer.
  for (let grew = true; grew;) {
    grew = false;
    for (const answer of all) {
      const target = canonicalName(String(answer.data));
      if (answer.type === "CNAME" && chain.has(answer.name) && !chain.has(target)) {
        chain.add(target);
        grew = true;
      }
    }
  }
  const answers = all.filter((a) => chain.has(a.name));
  const foreign = all.filter((a) => !chain.has(a.name) && a.type !== "DNAME");
  if (answers.length === 0 && foreign.length > 0) {
    const owners = [...new Set(foreign.map((a) => a.name))];
    throw new DnsFailure(
      "BADRESPONSE",
      `${serverName(server)} answered with records for other names only (${owners.slice(0, 3).join(", ")}${owners.length > 3 ? ", ..." : ""})`,
    );
  }
  const records = answers.filter((a) => a.type === type);
  const soa = records.length > 0 ? undefined : negativeCacheTtl(received.reply);
  return {
    rcode: rcodeOf(received.reply),
    answers,
    records,
    octets: received.octets,
    ...(soa === undefined ? {} : { negativeTtl: soa }),
  };
}

/** RFC 2308 §5: a negative answer is cached for the lesser of the authority SOA's TTL and its MINIMUM. */
function negativeCacheTtl(reply: packet.Packet): number | undefined {
  const soa = (reply.authorities ?? []).find((a) => a.type === "SOA") as
    { readonly ttl?: number; readonly data?: { readonly minimum?: unknown } } | undefined;
  const minimum = soa?.data?.minimum;
  if (soa === undefined || typeof minimum !== "number") return undefined;
  return Math.min(soa.ttl ?? 0, minimum);
}

/** One query, UDP first, TCP when the answer was truncated; bounded attempts, each with an absolute deadline. */
export async function query(
  server: DnsServer,
  name: string,
  type: QueryType,
  options: QueryOptions = {},
): Promise<DnsResponse> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  let lastError: DnsFailure | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const request = { name, type, deadline: Date.now() + timeoutMs, timeoutMs, signal: options.signal };
    const ask = (edns: boolean): Promise<Received> =>
      channelFor(server).ask({ ...request, recursion: options.recursion ?? true, edns });
    try {
      let received = await ask(true);
      // RFC 6891 §7: a server that does not know EDNS answers FORMERR; ask it again without.
      if (rcodeOf(received.reply) === "FORMERR") received = await ask(false);
      if (((received.reply.flags ?? 0) & packet.TRUNCATED_RESPONSE) !== 0) {
        received = await tcpExchange(server, received, request);
      }
      return responseOf(server, name, type, received);
    } catch (error) {
      if (!(error instanceof DnsFailure)) throw error;
      lastError = error;
      if (error.code === "UNREACHABLE" || error.code === "LIMIT") break;
    }
  }
  throw lastError ?? new DnsFailure("TIMEOUT", `no answer from ${serverName(server)}`);
}

/** A TXT answer's values, each record's character-strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2). */
export function txtValues(response: DnsResponse): string[] {
  return response.records.map((r) => (Array.isArray(r.data) ? r.data.join("") : String(r.data)));
}

/**
 * How `check` and `rotate` ask DNS, and what tests replace: one question to one server, answered or
 * failed with a DnsFailure within the bounds `options` set (each attempt's absolute deadline, the
 * number of attempts, the caller's AbortSignal). `networkDns` asks over the network; check wraps it
 * in its per-stack budget and memo (limits.ts) and, for `--planned`, in the plan's routing.
 */
export interface DnsClient {
  query(server: DnsServer, name: string, type: QueryType, options?: QueryOptions): Promise<DnsResponse>;
}

/** A DnsClient's query as a function: the form check's wrappers (budget, memo, routing) compose. */
export type QueryFunction = DnsClient["query"];

/** The DNS client that asks over the network (`query`: UDP, then TCP when the answer is truncated). */
export const networkDns: DnsClient = { query };

/**
 * A `query` that asks each distinct question (server, name, type, recursion) once and answers repeats
 * from the first answer, failures included. `check` uses one per stack: the stack's own comparison,
 * mailauth's SPF, DKIM and DMARC evaluation and the include walk ask several names more than once
 * (the apex TXT up to four times), and the answers cannot differ within one check anyway.
 */
export function memoizeQueries(ask: QueryFunction = query): QueryFunction {
  const answers = new Map<string, Promise<DnsResponse>>();
  return (server, name, type, options = {}) => {
    const key = `${server.host}\0${String(server.port)}\0${canonicalName(name)}\0${type}\0${String(options.recursion ?? true)}`;
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = ask(server, name, type, options);
      answers.set(key, answer);
    }
    return answer;
  };
}

/** The errno-style code mailauth's resolver errors carry for each DnsFailure (Node's resolver's where one exists). */
export const FAILURE_ERRNO: Readonly<Record<DnsFailureCode, string>> = {
  TIMEOUT: "ETIMEOUT",
  UNREACHABLE: "ECONNREFUSED",
  BADRESPONSE: "EBADRESP",
  LIMIT: "ECHECKLIMIT",
};

/**
 * The `(name, rrtype)` resolver mailauth takes, answering like `dns.promises.resolve`: TXT as
 * string[][], MX as { exchange, priority }[], errors with ENOTFOUND / ENODATA / ESERVFAIL / ETIMEOUT
 * (and FAILURE_ERRNO's codes, with the DnsFailure's message, for lookups that got no answer).
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
      if (error instanceof DnsFailure) return fail(FAILURE_ERRNO[error.code], error.message);
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
