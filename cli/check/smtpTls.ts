/**
 * The STARTTLS probe `check --mx-tls` makes of each MX host of a domain with an MTA-STS policy: what
 * a sender that applies the policy sees before it hands over mail (RFC 8461 §4.1, §5). One
 * connection to port 25 of the host's first address (through the stack's DNS client), the
 * (multi-line) greeting, EHLO, STARTTLS offered in its reply (RFC 3207), STARTTLS, a TLS handshake
 * with the MX host as server name, the certificate read, QUIT. The certificate is judged as
 * https.ts judges a Policy Host's: the chain against the same roots (Node's, plus
 * NODE_EXTRA_CA_CERTS), the host as a DNS-ID in its subjectAltName (RFC 6125, a wildcard as the
 * whole left-most label; RFC 8461 §4.1), and its validity against the check's "now".
 *
 * Everything the server sends is data and bounded: each reply line, the lines of one reply, the
 * octets of the whole conversation; each step has a time bound, and the stack's deadline (`signal`)
 * cuts any step short. Whatever the server does — never answers, answers garbage, drops the
 * connection, says 220 to STARTTLS and goes on in plaintext — the probe ends with a result.
 */
import { X509Certificate } from "node:crypto";
import { isIP, Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { checkHostIdentity, errorCode, reasonOf } from "./https";
import { seconds } from "./limits";

/** Where senders deliver: RFC 5321 §4.5.4.2 (MTA-STS protects exactly these connections, RFC 8461 §4). */
export const SMTP_PORT = 25;

export type SmtpTlsFailureCode =
  /** The host has no address, or asking for it failed. */
  | "DNS"
  /** No connection: refused, unreachable, or none within the time bound (port 25 may be blocked here). */
  | "CONNECT"
  /** Connected, but a reply did not come within the time bound. */
  | "TIMEOUT"
  /** The server closed the connection, or sent what is not an SMTP reply, or refused a step. */
  | "SMTP"
  /** The EHLO reply does not offer STARTTLS. */
  | "NO_STARTTLS"
  /** STARTTLS was accepted but no TLS session came of it. */
  | "TLS"
  /** A bound of the caller (the stack's deadline) cut it short. */
  | "LIMIT";

export class SmtpTlsFailure extends Error {
  override readonly name = "SmtpTlsFailure";
  constructor(
    readonly code: SmtpTlsFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** The certificate the host presented, and what is wrong with it for the host (nothing: all undefined). */
export interface MxCertificate {
  /** The issuer's distinguished name, one line: `C=US, O=Let's Encrypt, CN=R11`. */
  readonly issuer: string;
  readonly validFrom: Date;
  readonly validTo: Date;
  /** `DNS:mx.example.com, DNS:*.example.com`, or `none`. */
  readonly subjectAltName: string;
  /** The TLS version negotiated: `TLSv1.3`. */
  readonly protocol: string;
  /** Why the chain did not verify against the trusted roots (OpenSSL's code), if it did not. */
  readonly chainError: string | undefined;
  /** Why the certificate is not valid for the host, if it is not. */
  readonly nameError: string | undefined;
}

export interface SmtpTlsResult {
  readonly host: string;
  /** The address connected to (undefined when the host has none). */
  readonly address: string | undefined;
  readonly port: number;
  /** The certificate after a completed handshake; undefined when `failure` says why there is none. */
  readonly certificate?: MxCertificate;
  readonly failure?: SmtpTlsFailure;
}

/** Probes one MX host; never rejects (except on a programming error): every outcome is a result. */
export type SmtpTlsProbe = (host: string) => Promise<SmtpTlsResult>;

export interface SmtpTlsProbeOptions {
  /** The host's addresses, first tried first; rejects with an HttpsFailure-like Error carrying `code` "DNS"/"LIMIT". */
  readonly resolve: (host: string) => Promise<readonly string[]>;
  /** @default SMTP_PORT */
  readonly port?: number | undefined;
  /** Aborting it cuts the probe short, as LIMIT with the signal's reason's message. */
  readonly signal?: AbortSignal | undefined;
  /** Each step's bound (connection, each reply, the handshake). @default DEFAULT_SMTP_STEP_TIMEOUT_MS */
  readonly stepTimeoutMs?: number | undefined;
  /** Trusted CA certificates (PEM) instead of Node's roots: tests in process only. @default Node's */
  readonly ca?: string | undefined;
}

/**
 * RFC 5321 §4.5.3.2 lets a client wait minutes for each reply; a check cannot, and its stack has 30 s
 * in all. 10 s is above the greeting delays servers use against spam bots (Postfix's postscreen
 * greets after 6 s).
 */
export const DEFAULT_SMTP_STEP_TIMEOUT_MS = 10_000;
/** Octets of one reply line: RFC 5321 §4.5.3.1.5 says 512; a server's longer line is still read up to a text line's 1000. */
export const MAX_REPLY_LINE_OCTETS = 1000;
/** Lines of one reply: an EHLO reply lists a dozen extensions. */
export const MAX_REPLY_LINES = 100;
/** Octets the server may send in plaintext in all (greeting, EHLO reply, STARTTLS reply). */
export const MAX_CONVERSATION_OCTETS = 64 * 1024;

interface Reply {
  readonly code: number;
  /** Each line's text after the code and its separator. */
  readonly lines: readonly string[];
}

/** A server's text in a message: at most 120 characters of its first line. */
const quoted = (reply: Reply): string => {
  const text = `${reply.code} ${reply.lines[0] ?? ""}`.trimEnd();
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
};

/**
 * Reads SMTP replies (RFC 5321 §4.2: `ddd-text` lines up to a `ddd text` one, one code throughout)
 * from a socket, each within bounds; anything else is an SmtpTlsFailure. `detach()` stops reading and
 * returns what was received past the last reply taken (before STARTTLS hands the socket to TLS).
 */
class ReplyReader {
  private buffer = Buffer.alloc(0);
  private received = 0;
  private lines: string[] = [];
  private code: string | undefined;
  private readonly replies: Reply[] = [];
  private failure: SmtpTlsFailure | undefined;
  private wake: (() => void) | undefined;
  private readonly onData = (chunk: Buffer): void => {
    // After a failure nothing more is kept: the probe is ending.
    if (this.failure !== undefined) return;
    this.received += chunk.length;
    if (this.received > MAX_CONVERSATION_OCTETS) {
      this.fail(new SmtpTlsFailure("SMTP", `sent more than ${MAX_CONVERSATION_OCTETS} octets before TLS`));
      return;
    }
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.parse();
  };
  private readonly onEnd = (): void => {
    this.fail(new SmtpTlsFailure("SMTP", "closed the connection"));
  };
  private readonly onError = (error: Error): void => {
    this.fail(new SmtpTlsFailure("SMTP", `the connection failed: ${error.message}`));
  };

  constructor(private readonly socket: Socket) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.on("error", this.onError);
  }

  private fail(failure: SmtpTlsFailure): void {
    this.failure ??= failure;
    this.wake?.();
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf(0x0a);
      if (end < 0) {
        if (this.buffer.length > MAX_REPLY_LINE_OCTETS) {
          this.fail(new SmtpTlsFailure("SMTP", `sent a line longer than ${MAX_REPLY_LINE_OCTETS} octets`));
        }
        return;
      }
      if (end + 1 > MAX_REPLY_LINE_OCTETS) {
        this.fail(new SmtpTlsFailure("SMTP", `sent a line longer than ${MAX_REPLY_LINE_OCTETS} octets`));
        return;
      }
      const line = this.buffer.subarray(0, end).toString("latin1").replace(/\r$/, "");
      const match = /^([2-5]\d\d)(?:([ -])(.*))?$/s.exec(line);
      if (match === null || (this.code !== undefined && match[1] !== this.code)) {
        const shown = JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);
        this.fail(new SmtpTlsFailure("SMTP", `sent ${shown}, which is not an SMTP reply line (RFC 5321 §4.2)`));
        return;
      }
      this.buffer = this.buffer.subarray(end + 1);
      this.code = match[1];
      this.lines.push(match[3] ?? "");
      if (this.lines.length > MAX_REPLY_LINES) {
        this.fail(new SmtpTlsFailure("SMTP", `sent a reply of more than ${MAX_REPLY_LINES} lines`));
        return;
      }
      if (match[2] !== "-") {
        this.replies.push({ code: Number(this.code), lines: this.lines });
        this.lines = [];
        this.code = undefined;
        this.wake?.();
      }
    }
  }

  /** The next reply, or the failure that came first; `what` names it in messages ("greeting"). */
  async next(what: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Reply> {
    for (;;) {
      const reply = this.replies.shift();
      if (reply !== undefined) return reply;
      if (this.failure !== undefined) {
        throw new SmtpTlsFailure(this.failure.code, `${this.failure.message}, waiting for the ${what}`);
      }
      await within(
        new Promise<void>((resolve) => {
          this.wake = resolve;
        }),
        timeoutMs,
        `no ${what} within ${seconds(timeoutMs)}`,
        signal,
      ).finally(() => {
        this.wake = undefined;
      });
    }
  }

  /** Stops reading; octets, lines and replies received past the replies taken. */
  detach(): number {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onEnd);
    this.socket.off("error", this.onError);
    return this.buffer.length + this.lines.length + this.replies.length;
  }
}

/** `promise`, or a TIMEOUT failure after `timeoutMs`, or a LIMIT failure when `signal` aborts first. */
async function within<T>(
  promise: Promise<T>,
  timeoutMs: number,
  timeoutMessage: string,
  signal: AbortSignal | undefined,
  timeoutCode: SmtpTlsFailureCode = "TIMEOUT",
): Promise<T> {
  if (signal?.aborted === true) throw new SmtpTlsFailure("LIMIT", reasonOf(signal));
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new SmtpTlsFailure(timeoutCode, timeoutMessage));
        }, timeoutMs);
        if (signal !== undefined) {
          onAbort = () => {
            reject(new SmtpTlsFailure("LIMIT", reasonOf(signal)));
          };
          signal.addEventListener("abort", onAbort, { once: true });
        }
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
  }
}

/** RFC 5321 §4.1.4: a client without a meaningful name sends its address as a literal. */
function ehloArgument(socket: Socket): string {
  const local = socket.localAddress ?? "127.0.0.1";
  return isIP(local) === 6 ? `[IPv6:${local}]` : `[${local}]`;
}

/** Whether an EHLO reply lists the STARTTLS keyword (RFC 3207 §4; its first line is the server's name). */
const offersStartTls = (ehlo: Reply): boolean =>
  ehlo.lines.slice(1).some((line) => (line.trim().split(/\s+/)[0] ?? "").toUpperCase() === "STARTTLS");

/** Connection errors that mean nothing listens, or nothing is let through, at the address. */
const UNREACHABLE = /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|ETIMEDOUT|EACCES|EPERM)$/;

function connectTo(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      const code = errorCode(error);
      reject(
        new SmtpTlsFailure(
          UNREACHABLE.test(code) ? "CONNECT" : "SMTP",
          code === "ECONNREFUSED" ? "connection refused" : error.message,
        ),
      );
    };
    socket.once("error", onError);
    socket.connect({ host: address, port }, () => {
      socket.off("error", onError);
      resolve();
    });
  });
}

/** The handshake over the plaintext socket; the TLS socket once it is secure. */
function handshake(socket: Socket, host: string, ca: string | undefined): { tls: TLSSocket; secure: Promise<void> } {
  const tls = tlsConnect({
    socket,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    // Verified below, not refused here: the finding names the issuer, dates and names of a certificate
    // senders refuse, and the session ends with QUIT either way. Nothing is sent over it but QUIT.
    rejectUnauthorized: false,
    // The name is checked by RFC 8461's rules (certificateOf), not Node's (which falls back to the
    // Common Name): authorizationError then says only what is wrong with the chain.
    checkServerIdentity: () => undefined,
    ...(ca === undefined ? {} : { ca }),
  });
  const secure = new Promise<void>((resolve, reject) => {
    const fail = (message: string): void => {
      reject(new SmtpTlsFailure("TLS", message));
    };
    tls.once("secureConnect", () => {
      resolve();
    });
    tls.once("error", (error: Error) => {
      const code = errorCode(error);
      fail(
        code === "ECONNRESET" || code === "EPIPE"
          ? "closed the connection during the TLS handshake after accepting STARTTLS"
          : `the TLS handshake after STARTTLS failed: ${error.message}${code === "" ? "" : ` (${code})`}`,
      );
    });
    tls.once("close", () => {
      fail("closed the connection during the TLS handshake after accepting STARTTLS");
    });
  });
  // Settled by whichever comes first; a later event must not become an unhandled rejection.
  secure.catch(() => undefined);
  return { tls, secure };
}

function certificateOf(tls: TLSSocket, host: string): MxCertificate {
  const peer = tls.getPeerCertificate();
  const x509 = new X509Certificate(peer.raw);
  // Node gives OpenSSL's code as a string (typed as an Error).
  const chain = tls.authorizationError as unknown;
  const chainError = tls.authorized
    ? undefined
    : typeof chain === "string"
      ? chain
      : chain instanceof Error
        ? errorCode(chain) || chain.message
        : "the chain was not verified";
  return {
    issuer: x509.issuer.split("\n").join(", "),
    validFrom: x509.validFromDate,
    validTo: x509.validToDate,
    subjectAltName: x509.subjectAltName ?? "none",
    protocol: tls.getProtocol() ?? "TLS",
    chainError,
    nameError: checkHostIdentity(host, peer)?.message,
  };
}

/** The probe's sockets, for its end; `quit` once QUIT was sent (the server may answer and close). */
interface Sockets {
  plain?: Socket;
  tls?: TLSSocket;
  quit?: boolean;
}

/** One conversation with `address`: the certificate it presents after STARTTLS, or an SmtpTlsFailure. */
async function converse(
  host: string,
  address: string,
  port: number,
  options: SmtpTlsProbeOptions,
  sockets: Sockets,
): Promise<MxCertificate> {
  const { signal, ca } = options;
  const stepMs = options.stepTimeoutMs ?? DEFAULT_SMTP_STEP_TIMEOUT_MS;
  const socket = new Socket();
  // Every error is also reported where it matters (the step waiting); none may go unhandled later.
  socket.on("error", () => undefined);
  sockets.plain = socket;
  await within(connectTo(socket, address, port), stepMs, `no connection within ${seconds(stepMs)}`, signal, "CONNECT");
  const reader = new ReplyReader(socket);
  const quit = (): void => {
    sockets.quit = true;
    socket.end("QUIT\r\n");
  };
  const greeting = await reader.next("greeting", stepMs, signal);
  if (greeting.code !== 220) {
    quit();
    throw new SmtpTlsFailure("SMTP", `greeted with ${quoted(greeting)}, not 220: it takes no mail now`);
  }
  socket.write(`EHLO ${ehloArgument(socket)}\r\n`);
  const ehlo = await reader.next("reply to EHLO", stepMs, signal);
  if (ehlo.code !== 250) {
    quit();
    throw new SmtpTlsFailure("NO_STARTTLS", `answered EHLO with ${quoted(ehlo)}, so it offers no STARTTLS`);
  }
  if (!offersStartTls(ehlo)) {
    quit();
    throw new SmtpTlsFailure("NO_STARTTLS", "does not offer STARTTLS in its EHLO reply");
  }
  socket.write("STARTTLS\r\n");
  const ready = await reader.next("reply to STARTTLS", stepMs, signal);
  if (ready.code !== 220) {
    quit();
    throw new SmtpTlsFailure("TLS", `offers STARTTLS but answered it with ${quoted(ready)}, not 220`);
  }
  // Plaintext after the 220 would be read as if it came over TLS: the STARTTLS injection of
  // CVE-2011-0411. Nothing may come before the client's first handshake message (RFC 3207 §4).
  if (reader.detach() > 0) {
    throw new SmtpTlsFailure("TLS", "sent more plaintext after its 220 reply to STARTTLS, before the TLS handshake");
  }
  const { tls, secure } = handshake(socket, host, ca);
  tls.on("error", () => undefined);
  sockets.tls = tls;
  await within(secure, stepMs, `no TLS handshake within ${seconds(stepMs)} after STARTTLS`, signal, "TLS");
  const certificate = certificateOf(tls, host);
  // Nothing else to say: QUIT (RFC 5321 §4.1.1.10), without waiting for its 221.
  sockets.quit = true;
  tls.end("QUIT\r\n");
  return certificate;
}

/**
 * A probe over the network: each host's first address from `resolve` (an IP literal as is), one
 * conversation on `port`. Probing is opt-in (`check --mx-tls`): many networks block outbound port 25.
 */
export function networkSmtpTlsProbe(options: SmtpTlsProbeOptions): SmtpTlsProbe {
  const port = options.port ?? SMTP_PORT;
  return async (host) => {
    let address: string | undefined;
    const sockets: Sockets = {};
    try {
      const addresses = isIP(host) === 0 ? await options.resolve(host) : [host];
      address = addresses[0];
      if (address === undefined) throw new SmtpTlsFailure("DNS", `${host} has no address`);
      const certificate = await converse(host, address, port, options, sockets);
      return { host, address, port, certificate };
    } catch (error) {
      const code = errorCode(error);
      if (error instanceof SmtpTlsFailure) return { host, address, port, failure: error };
      // The resolver's failures (an HttpsFailure from addressesThrough): DNS, or the stack's deadline.
      if (address === undefined && error instanceof Error && (code === "DNS" || code === "LIMIT")) {
        return { host, address, port, failure: new SmtpTlsFailure(code, error.message) };
      }
      throw error;
    } finally {
      // A server that keeps the connection open after QUIT (or mid-step) holds nothing of ours.
      const { plain, tls, quit } = sockets;
      const close = (): void => {
        tls?.destroy();
        plain?.destroy();
      };
      if (quit === true) setTimeout(close, 1000).unref();
      else close();
    }
  };
}
