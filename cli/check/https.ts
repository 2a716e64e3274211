/**
 * The HTTPS fetch `check` uses for what families publish over the web (an MTA-STS policy, RFC 8461
 * §3.3; a BIMI logo and its certificate): one GET, bounded in time and size, no redirect followed,
 * the server's certificate verified against the system's roots (plus NODE_EXTRA_CA_CERTS) and
 * matched to the host name by its DNS-ID subjectAltNames only (RFC 8461 §3.3, RFC 6125 §6.4, no
 * Common Name fallback). The host's address comes from the caller (`resolve`: the check's DNS
 * client, so its questions are asked within the stack's budget and tests answer them from BIND or
 * in process), and the port is 443 unless a test setup says otherwise (`check --https-port`).
 *
 * Everything the server sends is data: statuses, headers and bodies are returned, never acted on.
 */
import { X509Certificate } from "node:crypto";
import { request } from "node:https";
import { isIP } from "node:net";
import type { PeerCertificate } from "node:tls";

export type HttpsFailureCode =
  /** The host has no address, or asking for it failed. */
  | "DNS"
  /** No connection: refused, unreachable, reset. */
  | "CONNECT"
  /** The TLS handshake failed: a certificate not trusted, expired, or not for the host. */
  | "TLS"
  /** No complete answer within the time bound. */
  | "TIMEOUT"
  /** The body is larger than the size bound. */
  | "TOO_LARGE"
  /** A malformed or truncated HTTP answer. */
  | "BADRESPONSE"
  /** A bound of the caller (the stack's deadline) cut it short. */
  | "LIMIT";

export class HttpsFailure extends Error {
  override readonly name = "HttpsFailure";
  constructor(
    readonly code: HttpsFailureCode,
    message: string,
  ) {
    super(message);
  }
}

export interface HttpsRequest {
  /** An `https:` URL. */
  readonly url: string;
  /** The largest body accepted, in octets: a larger one fails as TOO_LARGE without being read whole. */
  readonly maxBytes: number;
  /**
   * Milliseconds for the whole exchange (address, connection, handshake, headers, body).
   * @default 10000
   */
  readonly timeoutMs?: number;
}

export interface HttpsResponse {
  /** The URL asked. */
  readonly url: string;
  /** The address connected to. */
  readonly address: string;
  readonly status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The body for a 2xx status; empty otherwise (not read). */
  readonly body: Buffer;
}

/** One GET; rejects with an HttpsFailure only (any status, a redirect included, is a response). */
export type HttpsFetch = (request: HttpsRequest) => Promise<HttpsResponse>;

export interface NetworkFetchOptions {
  /** The host's addresses, first tried first; rejects with an HttpsFailure ("DNS") when it has none. */
  readonly resolve: (host: string) => Promise<readonly string[]>;
  /** Port every URL is fetched on (a test setup's local server). @default the URL's port, else 443 */
  readonly port?: number | undefined;
  /** Aborting it cuts every fetch short, as LIMIT with the signal's reason's message. */
  readonly signal?: AbortSignal | undefined;
  /** Trusted CA certificates (PEM) instead of the system's: tests in process only. @default the system's */
  readonly ca?: string | undefined;
}

/** RFC 8461 §3.3 suggests one minute for a policy fetch; a check waits less (its stack has 30 s in all). */
export const DEFAULT_HTTPS_TIMEOUT_MS = 10_000;

const isAborted = (signal: AbortSignal): boolean => signal.aborted;

/** Why `signal` aborted, for a LIMIT failure's message (the stack's deadline, usually). */
export const reasonOf = (signal: AbortSignal): string =>
  signal.reason instanceof Error ? signal.reason.message : "cut short by the check's deadline";

/**
 * RFC 8461 §3.3: the certificate must be valid for the host as a DNS-ID (RFC 6125), a wildcard only as
 * the complete left-most label; the subject's Common Name is never used.
 */
export function checkHostIdentity(host: string, cert: PeerCertificate): Error | undefined {
  let matched: string | undefined;
  try {
    matched = new X509Certificate(cert.raw).checkHost(host, {
      subject: "never",
      wildcards: true,
      partialWildcards: false,
      multiLabelWildcards: false,
      singleLabelSubdomains: false,
    });
  } catch {
    matched = undefined;
  }
  if (matched !== undefined) return undefined;
  const names = cert.subjectaltname === undefined || cert.subjectaltname === "" ? "none" : cert.subjectaltname;
  const error = new Error(`the certificate is not valid for ${host} (its subjectAltName: ${names})`);
  return Object.assign(error, { code: "ERR_TLS_CERT_ALTNAME_INVALID" });
}

/** A Node error's `code` (`ECONNREFUSED`, `CERT_HAS_EXPIRED`...), or "" when it has none. */
export const errorCode = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";

/** Node's TLS error codes that mean the certificate was refused. */
const TLS_CODES =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_SSL_)/;

function failureOf(error: unknown, url: string): HttpsFailure {
  if (error instanceof HttpsFailure) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (TLS_CODES.test(code)) return new HttpsFailure("TLS", `${url}: TLS: ${message}${code === "" ? "" : ` (${code})`}`);
  if (/^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|EPIPE)$/.test(code)) {
    return new HttpsFailure("CONNECT", `${url}: ${message}`);
  }
  return new HttpsFailure("BADRESPONSE", `${url}: ${message}${code === "" ? "" : ` (${code})`}`);
}

function headersOf(raw: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? "").toLowerCase();
    const value = raw[i + 1] ?? "";
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return headers;
}

/** The parts of an `https:` URL a fetch needs, or an HttpsFailure naming what is wrong with it. */
function target(url: string): { host: string; port: number | undefined; path: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HttpsFailure("BADRESPONSE", `${url}: not a URL`);
  }
  if (parsed.protocol !== "https:") throw new HttpsFailure("BADRESPONSE", `${url}: not an https URL`);
  if (parsed.username !== "" || parsed.password !== "") {
    throw new HttpsFailure("BADRESPONSE", `${url}: a URL with credentials is not fetched`);
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
  return {
    host,
    port: parsed.port === "" ? undefined : Number(parsed.port),
    path: `${parsed.pathname}${parsed.search}`,
  };
}

/**
 * A fetch over the network: the host's address from `resolve` (an IP literal is used as is), one
 * GET with the host as TLS server name and Host header, the certificate verified, the answer read
 * up to `maxBytes` within `timeoutMs`. Redirects are returned, never followed (RFC 8461 §3.3).
 */
export function networkFetch(options: NetworkFetchOptions): HttpsFetch {
  return async ({ url, maxBytes, timeoutMs = DEFAULT_HTTPS_TIMEOUT_MS }) => {
    const { host, port: urlPort, path } = target(url);
    const port = options.port ?? urlPort ?? 443;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
    const cutShort = (): HttpsFailure =>
      options.signal?.aborted === true
        ? new HttpsFailure("LIMIT", `${url}: ${reasonOf(options.signal)}`)
        : new HttpsFailure("TIMEOUT", `${url}: no complete answer within ${timeoutMs / 1000} s`);
    if (signal.aborted) throw cutShort();
    const addresses = isIP(host) === 0 ? await options.resolve(host) : [host];
    const address = addresses[0];
    if (address === undefined) throw new HttpsFailure("DNS", `${url}: ${host} has no address`);
    // The address lookup may have taken the time there was.
    if (isAborted(signal)) throw cutShort();
    return new Promise<HttpsResponse>((resolve, reject) => {
      let settled = false;
      const finish = (error: HttpsFailure | undefined, response?: HttpsResponse): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        req.destroy();
        if (error !== undefined) reject(error);
        else if (response !== undefined) resolve(response);
      };
      const onAbort = (): void => {
        finish(cutShort());
      };
      const req = request(
        {
          host: address,
          port,
          path,
          method: "GET",
          servername: isIP(host) === 0 ? host : undefined,
          headers: {
            host: port === 443 ? host : `${host}:${port}`,
            accept: "*/*",
            "user-agent": "sender-auth-check",
          },
          agent: false,
          rejectUnauthorized: true,
          checkServerIdentity: checkHostIdentity,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const headers = headersOf(res.rawHeaders);
          const answer = (body: Buffer): HttpsResponse => ({ url, address, status, headers, body });
          if (status < 200 || status > 299) {
            finish(undefined, answer(Buffer.alloc(0)));
            return;
          }
          const declared = Number(headers["content-length"]);
          if (Number.isFinite(declared) && declared > maxBytes) {
            finish(
              new HttpsFailure("TOO_LARGE", `${url}: ${declared} octets announced, more than the ${maxBytes} accepted`),
            );
            return;
          }
          const chunks: Buffer[] = [];
          let length = 0;
          res.on("data", (chunk: Buffer) => {
            length += chunk.length;
            if (length > maxBytes) {
              finish(new HttpsFailure("TOO_LARGE", `${url}: more than the ${maxBytes} octets accepted`));
              return;
            }
            chunks.push(chunk);
          });
          res.on("end", () => {
            finish(undefined, answer(Buffer.concat(chunks, length)));
          });
          res.on("error", (error) => {
            finish(failureOf(error, url));
          });
          res.on("close", () => {
            if (!res.complete) finish(new HttpsFailure("BADRESPONSE", `${url}: the answer ended before its body did`));
          });
        },
      );
      req.on("error", (error) => {
        finish(failureOf(error, url));
      });
      signal.addEventListener("abort", onAbort);
      req.end();
    });
  };
}
