"use strict";
// Floor of the check benchmark: the same DNS questions `sender-auth check` asked (read from BIND's
// query log), per domain, 8 domains at a time as check does, all of a domain's questions at once
// (check asks some only after others are answered), with EDNS(0) and 1232 octets, over one UDP socket with TCP when an answer is truncated,
// as check does. Nothing is compared or evaluated. argv: <questions.json: [{ domain, questions: [[name, type], ...] }]> <host:port>
const { readFileSync } = require("node:fs");
const { createSocket } = require("node:dgram");
const { Socket } = require("node:net");
const packet = require("dns-packet");

const domains = JSON.parse(readFileSync(process.argv[2], "utf8"));
const [host, portText] = process.argv[3].split(":");
const port = Number(portText);
const CONCURRENCY = 8;

const socket = createSocket("udp4");
const pending = new Map();
let nextId = 0;
socket.on("message", (message) => {
  const reply = packet.decode(message);
  const waiter = pending.get(reply.id);
  if (waiter === undefined) return;
  pending.delete(reply.id);
  waiter(reply);
});

function tcp(query) {
  return new Promise((resolve, reject) => {
    const conn = new Socket();
    let received = Buffer.alloc(0);
    conn.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        conn.end();
        resolve(packet.decode(received.subarray(2, 2 + received.readUInt16BE(0))));
      }
    });
    conn.on("error", reject);
    conn.connect(port, host, () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      conn.write(Buffer.concat([length, query]));
    });
  });
}

function ask(name, type) {
  nextId = (nextId % 65535) + 1;
  const id = nextId;
  const query = packet.encode({
    id,
    type: "query",
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type, class: "IN" }],
    additionals: [
      {
        type: "OPT",
        name: ".",
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ],
  });
  return new Promise((resolve, reject) => {
    // A lost reply must fail the run, not hang it.
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`no answer to ${name} ${type} within 2000 ms`));
    }, 2000);
    pending.set(id, (reply) => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.send(query, port, host);
  }).then((reply) => ((reply.flags & packet.TRUNCATED_RESPONSE) !== 0 ? tcp(query) : reply));
}

(async () => {
  let next = 0;
  let answered = 0;
  const worker = async () => {
    while (next < domains.length) {
      const domain = domains[next++];
      const replies = await Promise.all(domain.questions.map(([name, type]) => ask(name, type)));
      answered += replies.length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, domains.length) }, worker));
  socket.close();
  process.stdout.write(`${answered}\n`);
})().catch((error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
