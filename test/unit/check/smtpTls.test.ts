/**
 * The MX STARTTLS probe (cli/check/smtpTls.ts) in process: against the nodemailer project's SMTP
 * server with the TEST-ONLY certificates of test/fixtures/mx-tls (test/support/smtpServer.ts), each
 * certificate as the probe reads it; and against hostile servers on raw sockets — one that never
 * answers, answers garbage, sends endless lines or replies, closes after the greeting, refuses,
 * drops the connection mid-handshake, says 220 to STARTTLS and goes on in plaintext or sends more
 * plaintext after it — each ending in a failure that says what happened, within the step's bound.
 */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { HttpsFailure } from "../../../cli/check/https";
import {
  MAX_CONVERSATION_OCTETS,
  MAX_REPLY_LINE_OCTETS,
  MAX_REPLY_LINES,
  networkSmtpTlsProbe,
  type SmtpTlsProbeOptions,
  type SmtpTlsResult,
} from "../../../cli/check/smtpTls";
import { freePort } from "../../support/ports";
import { MX_TLS_CA, startRawServer, startSmtpServer, type LocalSmtpServer } from "../../support/smtpServer";

const LOCAL = (): Promise<readonly string[]> => Promise.resolve(["127.0.0.1"]);
const STEP_MS = 400;

/** Greets, offers STARTTLS, says 220 to it, then does `afterStartTls` with what comes next. */
function startTlsScript(ready: string, afterStartTls: (socket: Socket, data: Buffer) => void) {
  return (socket: Socket): void => {
    socket.write("220-mx.test ESMTP\r\n220-second line\r\n220 ready\r\n");
    let stage = 0;
    socket.on("data", (data: Buffer) => {
      if (stage === 0 && data.toString().startsWith("EHLO ")) {
        stage = 1;
        socket.write("250-mx.test\r\n250-PIPELINING\r\n250-starttls\r\n250 8BITMIME\r\n");
      } else if (stage === 1 && data.toString() === "STARTTLS\r\n") {
        stage = 2;
        socket.write(ready);
      } else if (stage === 2) {
        stage = 3;
        afterStartTls(socket, data);
      }
    });
  };
}

async function probeRaw(
  script: (socket: Socket) => void,
  options: Partial<SmtpTlsProbeOptions> = {},
): Promise<{ result: SmtpTlsResult; ms: number }> {
  const server = await startRawServer(script);
  try {
    const started = performance.now();
    const result = await networkSmtpTlsProbe({
      resolve: LOCAL,
      port: server.port,
      stepTimeoutMs: STEP_MS,
      ca: MX_TLS_CA,
      ...options,
    })("mail.example.test");
    return { result, ms: performance.now() - started };
  } finally {
    await server.close();
  }
}

const failureOf = (result: SmtpTlsResult): string =>
  `${result.failure?.code ?? "none"}: ${result.failure?.message ?? ""}`;

describe("MX STARTTLS probe against an SMTP server (smtp-server, fixture certificates)", () => {
  let server: LocalSmtpServer;
  let plain: LocalSmtpServer;
  before(async () => {
    [server, plain] = await Promise.all([startSmtpServer(), startSmtpServer({ starttls: false })]);
  });
  after(async () => {
    await Promise.all([server.stop(), plain.stop()]);
  });
  const probe = (host: string, port = server.port): Promise<SmtpTlsResult> =>
    networkSmtpTlsProbe({ resolve: LOCAL, port, ca: MX_TLS_CA })(host);

  it("a certificate for the host from the trusted CA: its issuer, dates and names, nothing wrong", async () => {
    const result = await probe("mail.example.test");
    assert.equal(result.failure, undefined);
    assert.deepEqual(result.certificate, {
      issuer: "CN=sender-auth test-only MX CA",
      validFrom: new Date("2026-01-01T00:00:00Z"),
      validTo: new Date("2126-01-01T00:00:00Z"),
      subjectAltName: "DNS:mail.example.test, DNS:*.mx.example.test",
      protocol: "TLSv1.3",
      chainError: undefined,
      nameError: undefined,
    });
    assert.equal(result.address, "127.0.0.1");
    assert.equal(result.port, server.port);
    // The MX host is the TLS server name (SNI).
    assert.equal(server.servernames().at(-1), "mail.example.test");
  });

  it("a wildcard covers one left-most label (RFC 6125 §6.4.3), not two", async () => {
    assert.equal((await probe("a.mx.example.test")).certificate?.nameError, undefined);
    assert.equal(
      (await probe("b.a.mx.example.test")).certificate?.nameError,
      "the certificate is not valid for b.a.mx.example.test (its subjectAltName: DNS:mail.example.test, DNS:*.mx.example.test)",
    );
  });

  it("a certificate for another name: the name, and only the name, is wrong", async () => {
    const { certificate } = await probe("wrong.example.test");
    assert.ok(certificate !== undefined);
    assert.equal(certificate.chainError, undefined);
    assert.equal(
      certificate.nameError,
      "the certificate is not valid for wrong.example.test (its subjectAltName: DNS:other.example.org)",
    );
  });

  it("a certificate from a CA nobody trusts: the chain's error", async () => {
    const { certificate } = await probe("untrusted.example.test");
    assert.equal(certificate?.chainError, "SELF_SIGNED_CERT_IN_CHAIN");
    assert.equal(certificate.issuer, "CN=sender-auth untrusted test-only CA");
    assert.equal(certificate.nameError, undefined);
  });

  it("an expired certificate: CERT_HAS_EXPIRED and its end date", async () => {
    const { certificate } = await probe("expired.example.test");
    assert.equal(certificate?.chainError, "CERT_HAS_EXPIRED");
    assert.deepEqual(certificate.validTo, new Date("2021-01-01T00:00:00Z"));
  });

  it("Node's roots alone (no test CA): the test CA's certificate does not verify", async () => {
    const result = await networkSmtpTlsProbe({ resolve: LOCAL, port: server.port })("mail.example.test");
    assert.equal(result.certificate?.chainError, "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("no STARTTLS in the EHLO reply: NO_STARTTLS", async () => {
    const result = await probe("mail.example.test", plain.port);
    assert.equal(failureOf(result), "NO_STARTTLS: does not offer STARTTLS in its EHLO reply");
  });

  it("a port nothing listens on: CONNECT, connection refused", async () => {
    const port = await freePort();
    const result = await probe("mail.example.test", port);
    assert.equal(failureOf(result), "CONNECT: connection refused");
    assert.equal(result.address, "127.0.0.1");
  });

  it("no address: DNS, with the resolver's message; the deadline while resolving: LIMIT", async () => {
    const dns = await networkSmtpTlsProbe({
      resolve: () => Promise.reject(new HttpsFailure("DNS", "A mx.example.test: NXDOMAIN")),
    })("mx.example.test");
    assert.equal(failureOf(dns), "DNS: A mx.example.test: NXDOMAIN");
    assert.equal(dns.address, undefined);
    const none = await networkSmtpTlsProbe({ resolve: () => Promise.resolve([]) })("mx.example.test");
    assert.equal(failureOf(none), "DNS: mx.example.test has no address");
    const limit = await networkSmtpTlsProbe({
      resolve: () => Promise.reject(new HttpsFailure("LIMIT", "not asked: the 30 s deadline had passed")),
    })("mx.example.test");
    assert.equal(failureOf(limit), "LIMIT: not asked: the 30 s deadline had passed");
  });
});

describe("MX STARTTLS probe against hostile servers", () => {
  it("never answers: TIMEOUT after the step's bound", async () => {
    const { result, ms } = await probeRaw(() => undefined);
    assert.equal(failureOf(result), "TIMEOUT: no greeting within 0.4 s");
    assert.ok(ms < STEP_MS + 1500, `took ${ms} ms`);
  });

  it("the stack's deadline while waiting: LIMIT with the deadline's reason", async () => {
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort(new Error("cut short at the 0.1 s deadline for checking one stack"));
    }, 100);
    const { result, ms } = await probeRaw(() => undefined, { signal: controller.signal, stepTimeoutMs: 10_000 });
    assert.equal(failureOf(result), "LIMIT: cut short at the 0.1 s deadline for checking one stack");
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it("answers garbage: not an SMTP reply line", async () => {
    const { result } = await probeRaw((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    assert.equal(
      failureOf(result),
      'SMTP: sent "HTTP/1.1 400 Bad Request", which is not an SMTP reply line (RFC 5321 §4.2), waiting for the greeting',
    );
  });

  it("a multi-line reply whose code changes: not an SMTP reply line", async () => {
    const { result } = await probeRaw((socket) => socket.write("220-mx.test\r\n250 ok\r\n"));
    assert.match(failureOf(result), /^SMTP: sent "250 ok", which is not an SMTP reply line/);
  });

  it("a line without end: cut at the line bound", async () => {
    const { result } = await probeRaw((socket) => socket.write(`220 ${"x".repeat(MAX_REPLY_LINE_OCTETS)}`));
    assert.equal(failureOf(result), `SMTP: sent a line longer than 1000 octets, waiting for the greeting`);
  });

  it("a reply without end: cut at the line-count bound", async () => {
    const { result } = await probeRaw((socket) => socket.write("220-more\r\n".repeat(MAX_REPLY_LINES + 1)));
    assert.equal(failureOf(result), "SMTP: sent a reply of more than 100 lines, waiting for the greeting");
  });

  it("a greeting of long lines, each within the bounds: cut at the conversation's octet bound", async () => {
    // 99 lines of 998 octets: each line and the line count within their bounds, the whole past 64 KiB.
    const line = `220-${"x".repeat(MAX_REPLY_LINE_OCTETS - 6)}\r\n`;
    const { result } = await probeRaw((socket) => socket.write(line.repeat(MAX_REPLY_LINES - 1)));
    assert.equal(
      failureOf(result),
      `SMTP: sent more than ${MAX_CONVERSATION_OCTETS} octets before TLS, waiting for the greeting`,
    );
  });

  it("closes after the greeting: closed the connection, waiting for the reply to EHLO", async () => {
    const { result } = await probeRaw((socket) => {
      socket.write("220 mx.test ESMTP\r\n");
      socket.once("data", () => socket.end());
    });
    assert.equal(failureOf(result), "SMTP: closed the connection, waiting for the reply to EHLO");
  });

  it("greets with 554: it takes no mail", async () => {
    const { result } = await probeRaw((socket) => socket.write("554 mx.test no service here\r\n"));
    assert.equal(failureOf(result), 'SMTP: greeted with "554 mx.test no service here", not 220: it takes no mail now');
  });

  it("refuses EHLO: no STARTTLS", async () => {
    const { result } = await probeRaw((socket) => {
      socket.write("220 mx.test\r\n");
      socket.once("data", () => socket.write("502 5.5.1 EHLO not implemented\r\n"));
    });
    assert.equal(
      failureOf(result),
      'NO_STARTTLS: answered EHLO with "502 5.5.1 EHLO not implemented", so it offers no STARTTLS',
    );
  });

  it("offers STARTTLS, then refuses it: TLS", async () => {
    const { result } = await probeRaw(startTlsScript("454 4.7.0 TLS not available\r\n", () => undefined));
    assert.equal(failureOf(result), 'TLS: offers STARTTLS but answered it with "454 4.7.0 TLS not available", not 220');
  });

  it("drops the connection mid-handshake: TLS, closed during the handshake", async () => {
    const { result } = await probeRaw(startTlsScript("220 go ahead\r\n", (socket) => socket.destroy()));
    assert.equal(failureOf(result), "TLS: closed the connection during the TLS handshake after accepting STARTTLS");
  });

  it("says 220 to STARTTLS and goes on in plaintext: TLS, the handshake failed", async () => {
    const { result } = await probeRaw(
      startTlsScript("220 go ahead\r\n", (socket) => socket.write("250 mx.test at your service\r\n")),
    );
    assert.match(failureOf(result), /^TLS: the TLS handshake after STARTTLS failed: .*wrong version number/);
  });

  it("says 220 to STARTTLS and never starts TLS: TLS, no handshake within the bound", async () => {
    const { result, ms } = await probeRaw(startTlsScript("220 go ahead\r\n", () => undefined));
    assert.equal(failureOf(result), "TLS: no TLS handshake within 0.4 s after STARTTLS");
    assert.ok(ms < STEP_MS + 1500, `took ${ms} ms`);
  });

  it("sends plaintext after its 220 to STARTTLS (an injection, CVE-2011-0411): TLS, refused before the handshake", async () => {
    const { result } = await probeRaw(startTlsScript("220 go ahead\r\n250 injected\r\n", () => undefined));
    assert.equal(
      failureOf(result),
      "TLS: sent more plaintext after its 220 reply to STARTTLS, before the TLS handshake",
    );
  });
});
