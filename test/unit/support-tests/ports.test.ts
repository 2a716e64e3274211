/** test/support/ports.ts: a port free for what it is asked for, on which nothing listens. */
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";
import { describe, it } from "node:test";
import { freePort, type Transport } from "../../support/ports";

function listenTcp(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      resolve(
        () =>
          new Promise((done) =>
            server.close(() => {
              done();
            }),
          ),
      );
    });
  });
}

function bindUdp(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    socket.once("error", reject);
    socket.bind(port, "127.0.0.1", () => {
      resolve(
        () =>
          new Promise((done) =>
            socket.close(() => {
              done();
            }),
          ),
      );
    });
  });
}

/** How a TCP connection to `port` ends: "refused" when nothing listens. */
function connectTcp(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      resolve(error.code === "ECONNREFUSED" ? "refused" : String(error.code));
    });
  });
}

describe("freePort", () => {
  const cases: readonly [Transport, readonly ("tcp" | "udp")[]][] = [
    ["tcp", ["tcp"]],
    ["udp", ["udp"]],
    ["both", ["udp", "tcp"]],
  ];
  for (const [transport, binds] of cases) {
    it(`${transport}: a port in the ephemeral range that ${binds.join(" and ")} can then bind`, async () => {
      const port = await freePort(transport);
      assert.ok(Number.isInteger(port) && port > 1024 && port < 65536, String(port));
      const closers = [];
      for (const bind of binds) closers.push(await (bind === "tcp" ? listenTcp(port) : bindUdp(port)));
      for (const close of closers) await close();
    });
  }

  it("tcp by default, with nothing listening: a connection is refused", async () => {
    assert.equal(await connectTcp(await freePort()), "refused");
  });
});
