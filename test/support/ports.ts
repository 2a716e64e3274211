/**
 * Free ports on 127.0.0.1 for tests, one helper for every test that needs one: a server to start on
 * a port chosen in advance (BIND, for both UDP and TCP), or a port nothing listens on (a refused
 * connection, a DNS server that never answers). The port is bound to port 0, read and closed again:
 * free at the time of asking, and not handed out again at once (the kernel picks ephemeral ports in
 * turn), which is as much as any test of a port it does not hold can get.
 */
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/** `tcp`, `udp`, or `both`: a port free for each (BIND serves DNS on one port over both). */
export type Transport = "tcp" | "udp" | "both";

const HOST = "127.0.0.1";

/** A TCP port bound and closed again; with `port`, that port (undefined when it is taken). */
function tcpPort(port = 0): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => {
      resolve(undefined);
    });
    server.listen({ port, host: HOST, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => {
        resolve(bound);
      });
    });
  });
}

/** A UDP port bound and closed again; with `port`, that port (undefined when it is taken). */
function udpPort(port = 0): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, HOST, () => {
      const bound = socket.address().port;
      socket.close(() => {
        resolve(bound);
      });
    });
  });
}

async function tryPort(transport: Transport): Promise<number | undefined> {
  if (transport === "tcp") return tcpPort();
  const port = await udpPort();
  if (transport === "udp" || port === undefined) return port;
  return tcpPort(port);
}

/** How many ports are tried before giving up: a UDP port may be taken over TCP, rarely twenty times. */
const ATTEMPTS = 20;

/**
 * A port on 127.0.0.1 free for `transport` (at the time of asking); nothing listens on it.
 * @default transport "tcp"
 */
export async function freePort(transport: Transport = "tcp"): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await tryPort(transport);
    if (port !== undefined) return port;
  }
  throw new Error(`freePort: no port free for ${transport} on ${HOST} in ${ATTEMPTS} attempts`);
}
