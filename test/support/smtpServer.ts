/**
 * A local SMTP server with STARTTLS for tests of `check --mx-tls` (cli/check/smtpTls.ts): the
 * nodemailer project's `smtp-server` on 127.0.0.1 at a free port, presenting per TLS server name (SNI)
 * one of the TEST-ONLY certificates in test/fixtures/mx-tls (README there):
 *
 *   mail.example.test, *.mx.example.test  valid (mail.pem, until 2126)
 *   soon.example.test                     valid until 2036-12-10 (soon.pem: "expiring" under a pinned now)
 *   expired.example.test                  expired 2021-01-01 (expired.pem)
 *   wrong.example.test                    a certificate for other.example.org (other-name.pem)
 *   untrusted.example.test                from a CA nobody trusts (untrusted.pem + untrusted-ca.pem)
 *
 * The test CA (ca.pem) is trusted through `ca` in process or NODE_EXTRA_CA_CERTS (`env()`) in a
 * spawned CLI. `starttls: false` hides STARTTLS from the EHLO reply.
 */
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import * as path from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";
import { SMTPServer } from "smtp-server";
import { inheritedEnv } from "./cli";
import { FIXTURE_DIR } from "./fixtures";

export const MX_TLS_DIR = path.join(FIXTURE_DIR, "mx-tls");
/** The test CA's certificate file (for NODE_EXTRA_CA_CERTS). */
export const MX_TLS_CA_FILE = path.join(MX_TLS_DIR, "ca.pem");
export const MX_TLS_CA = readFileSync(MX_TLS_CA_FILE, "utf8");

const fixture = (name: string): string => readFileSync(path.join(MX_TLS_DIR, name), "utf8");

/** The TLS options for one of the fixture leaves (all share leaf.key), its issuer's certificate after it. */
const leaf = (name: string, chain = ""): { key: string; cert: string } => ({
  key: fixture("leaf.key"),
  cert: fixture(`${name}.pem`) + chain,
});

/** Server name → certificate; any other name gets mail.pem. */
function contextFor(servername: string): SecureContext {
  const name = servername.toLowerCase();
  if (name === "soon.example.test") return createSecureContext(leaf("soon"));
  if (name === "expired.example.test") return createSecureContext(leaf("expired"));
  if (name === "wrong.example.test") return createSecureContext(leaf("other-name"));
  if (name === "untrusted.example.test") return createSecureContext(leaf("untrusted", fixture("untrusted-ca.pem")));
  return createSecureContext(leaf("mail"));
}

export interface LocalSmtpServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** The TLS server names clients asked for, in order. */
  servernames(): readonly string[];
  /** Connections accepted so far. */
  connections(): number;
  /** `base` (default: this process's environment minus node:test's) with NODE_EXTRA_CA_CERTS the test CA. */
  env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Closes the server and every connection. Idempotent. */
  stop(): Promise<void>;
}

export async function startSmtpServer(options: { readonly starttls?: boolean } = {}): Promise<LocalSmtpServer> {
  const names: string[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = new SMTPServer({
    ...leaf("mail"),
    name: "mx.test.invalid",
    hideSTARTTLS: options.starttls === false,
    disableReverseLookup: true,
    logger: false,
    authOptional: true,
    SNICallback: (servername, done) => {
      names.push(servername);
      done(null, contextFor(servername));
    },
  });
  // A client that leaves mid-handshake, or after QUIT without waiting, is not the server's error.
  server.on("error", () => undefined);
  server.server.on("connection", (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    host: "127.0.0.1",
    port,
    servernames: () => [...names],
    connections: () => accepted,
    env: (base = inheritedEnv()) => ({ ...base, NODE_EXTRA_CA_CERTS: MX_TLS_CA_FILE }),
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      })),
  };
}

/**
 * A raw TCP server on 127.0.0.1 at a free port that treats each connection with `script`: the
 * hostile SMTP servers (silent, garbage, a handshake dropped) of the probe's tests.
 */
export async function startRawServer(
  script: (socket: Socket) => void,
): Promise<{ readonly port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    script(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
