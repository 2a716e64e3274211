/**
 * check's HTTPS fetch (cli/check/https.ts) against the local test HTTPS server (test/support/httpsServer.ts):
 * the body of a 200, any other status returned and a redirect never followed (RFC 8461 §3.3), every
 * certificate a verifier refuses refused (another name, an untrusted CA, expired, a Common Name without
 * subjectAltName), and the bounds (time, size, the stack's deadline). Host addresses through the
 * check's DNS client (addressesThrough), answered in process.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { addressesThrough } from "../../../cli/check/context";
import { DnsFailure } from "../../../cli/check/dnsClient";
import { HttpsFailure, networkFetch, type HttpsFailureCode, type HttpsFetch } from "../../../cli/check/https";
import { startHttpsServer, type LocalHttpsServer } from "../../support/httpsServer";
import { memoryDns } from "../../support/memoryDns";
import { freePort } from "../../support/ports";

const POLICY = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 604800\n";
const PATH = "/.well-known/mta-sts.txt";

let server: LocalHttpsServer;
let fetch: HttpsFetch;

before(async () => {
  server = await startHttpsServer({
    "mta-sts.example.com": {
      paths: {
        [PATH]: POLICY,
        "/moved": { status: 301, headers: { location: "https://elsewhere.example/" } },
        "/hang": { hang: true },
        "/endless": { endless: true },
        "/announced": { headers: { "content-length": "1000000" }, body: "" },
      },
    },
    "wrong.example.com": { paths: { [PATH]: POLICY }, certificate: "wrong-name" },
    "untrusted.example.com": { paths: { [PATH]: POLICY }, certificate: "untrusted" },
    "expired.example.com": { paths: { [PATH]: POLICY }, certificate: "expired" },
    "cn.example.com": { paths: { [PATH]: POLICY }, certificate: "common-name-only" },
  });
  fetch = networkFetch({ resolve: () => Promise.resolve(["127.0.0.1"]), port: server.port, ca: server.ca });
});
after(() => server.stop());

async function failure(promise: Promise<unknown>): Promise<HttpsFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HttpsFailure, String(error));
    return error;
  }
  assert.fail("the fetch did not fail");
}

describe("networkFetch", () => {
  it("returns a 200's body, asking with the host as TLS server name and Host header", async () => {
    const response = await fetch({ url: `https://mta-sts.example.com${PATH}`, maxBytes: 65536 });
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), POLICY);
    assert.equal(response.address, "127.0.0.1");
    assert.equal(response.headers["content-type"], "text/plain");
    const seen = server.requests().at(-1);
    assert.deepEqual(seen, {
      host: "mta-sts.example.com",
      servername: "mta-sts.example.com",
      method: "GET",
      path: PATH,
    });
  });

  it("returns another status without its body, and never follows a redirect (RFC 8461 §3.3)", async () => {
    const before = server.requests().length;
    const moved = await fetch({ url: "https://mta-sts.example.com/moved", maxBytes: 65536 });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers["location"], "https://elsewhere.example/");
    assert.equal(moved.body.length, 0);
    assert.equal(server.requests().length, before + 1);
    const missing = await fetch({ url: "https://mta-sts.example.com/nothing", maxBytes: 65536 });
    assert.equal(missing.status, 404);
  });

  const refused: readonly [string, RegExp][] = [
    [
      "wrong.example.com",
      /^https:\/\/wrong\.example\.com\/\.well-known\/mta-sts\.txt: TLS: the certificate is not valid for wrong\.example\.com \(its subjectAltName: DNS:other\.invalid\) \(ERR_TLS_CERT_ALTNAME_INVALID\)$/,
    ],
    [
      "untrusted.example.com",
      /: TLS: .*\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)$/,
    ],
    ["expired.example.com", /: TLS: certificate has expired \(CERT_HAS_EXPIRED\)$/],
    [
      "cn.example.com",
      /: TLS: the certificate is not valid for cn\.example\.com \(its subjectAltName: none\) \(ERR_TLS_CERT_ALTNAME_INVALID\)$/,
    ],
  ];
  for (const [host, message] of refused) {
    it(`refuses the certificate of ${host}`, async () => {
      const error = await failure(fetch({ url: `https://${host}${PATH}`, maxBytes: 65536 }));
      assert.equal(error.code, "TLS");
      assert.match(error.message, message);
    });
  }

  it("trusts nothing but its CAs: the test CA is not the system's", async () => {
    const system = networkFetch({ resolve: () => Promise.resolve(["127.0.0.1"]), port: server.port });
    const error = await failure(system({ url: `https://mta-sts.example.com${PATH}`, maxBytes: 65536 }));
    assert.equal(error.code, "TLS");
  });

  const bounded: readonly [string, string, HttpsFailureCode, string][] = [
    [
      "/hang",
      "a server that never answers",
      "TIMEOUT",
      "https://mta-sts.example.com/hang: no complete answer within 0.3 s",
    ],
    [
      "/endless",
      "a body without end",
      "TOO_LARGE",
      "https://mta-sts.example.com/endless: more than the 65536 octets accepted",
    ],
    [
      "/announced",
      "a body announced larger",
      "TOO_LARGE",
      "https://mta-sts.example.com/announced: 1000000 octets announced, more than the 65536 accepted",
    ],
  ];
  for (const [path, what, code, message] of bounded) {
    it(`ends ${what} within its bound (${code})`, async () => {
      const started = Date.now();
      const error = await failure(
        fetch({ url: `https://mta-sts.example.com${path}`, maxBytes: 65536, timeoutMs: 300 }),
      );
      assert.deepEqual([error.code, error.message], [code, message]);
      assert.ok(Date.now() - started < 5000);
    });
  }

  it("is cut short by the caller's signal (the stack's deadline) as LIMIT, with its reason", async () => {
    const controller = new AbortController();
    const cut = networkFetch({
      resolve: () => Promise.resolve(["127.0.0.1"]),
      port: server.port,
      ca: server.ca,
      signal: controller.signal,
    });
    const pending = failure(cut({ url: "https://mta-sts.example.com/hang", maxBytes: 65536 }));
    setTimeout(() => {
      controller.abort(new DnsFailure("LIMIT", "cut short at the 1 s deadline for checking one stack"));
    }, 100);
    const error = await pending;
    assert.deepEqual(
      [error.code, error.message],
      ["LIMIT", "https://mta-sts.example.com/hang: cut short at the 1 s deadline for checking one stack"],
    );
    const already = await failure(cut({ url: `https://mta-sts.example.com${PATH}`, maxBytes: 65536 }));
    assert.equal(already.code, "LIMIT");
  });

  it("names a refused connection (CONNECT)", async () => {
    const closed = await freePort();
    const refusedFetch = networkFetch({ resolve: () => Promise.resolve(["127.0.0.1"]), port: closed, ca: server.ca });
    const error = await failure(refusedFetch({ url: `https://mta-sts.example.com${PATH}`, maxBytes: 65536 }));
    assert.equal(error.code, "CONNECT");
    assert.match(
      error.message,
      /^https:\/\/mta-sts\.example\.com\/\.well-known\/mta-sts\.txt: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
    );
  });

  const badUrls: readonly [string, string][] = [
    ["http://mta-sts.example.com/", "http://mta-sts.example.com/: not an https URL"],
    ["not a url", "not a url: not a URL"],
    [
      "https://user:pw@mta-sts.example.com/",
      "https://user:pw@mta-sts.example.com/: a URL with credentials is not fetched",
    ],
  ];
  for (const [url, message] of badUrls) {
    it(`refuses ${url} without asking anything`, async () => {
      const error = await failure(fetch({ url, maxBytes: 65536 }));
      assert.deepEqual([error.code, error.message], ["BADRESPONSE", message]);
    });
  }
});

describe("addressesThrough: a host's addresses through the check's DNS client", () => {
  const resolver = { host: "192.0.2.53", port: 53 };
  const dns = memoryDns(
    (name, type) => {
      if (name === "v4.example.com") return type === "A" ? [{ type: "A", data: "192.0.2.1" }] : [];
      if (name === "v6.example.com") return type === "AAAA" ? [{ type: "AAAA", data: "2001:db8::1" }] : [];
      if (name === "none.example.com") return [];
      return undefined;
    },
    (name) =>
      name === "silent.example.com"
        ? new DnsFailure("TIMEOUT", "no answer from 192.0.2.53:53 after 2 attempts")
        : undefined,
  );
  const addresses = addressesThrough(
    (server, name, type, options) => dns.query(server, name, type, options),
    resolver,
    {},
  );

  it("asks A, then AAAA when there is no A record", async () => {
    assert.deepEqual(await addresses("v4.example.com"), ["192.0.2.1"]);
    assert.deepEqual(await addresses("v6.example.com"), ["2001:db8::1"]);
    assert.deepEqual(dns.asked, [
      "192.0.2.53:53 v4.example.com A",
      "192.0.2.53:53 v6.example.com A",
      "192.0.2.53:53 v6.example.com AAAA",
    ]);
  });

  const failing: readonly [string, HttpsFailureCode, string][] = [
    ["none.example.com", "DNS", "none.example.com has no A or AAAA record"],
    ["nx.example.com", "DNS", "A nx.example.com: NXDOMAIN"],
    ["silent.example.com", "DNS", "A silent.example.com: no answer from 192.0.2.53:53 after 2 attempts"],
  ];
  for (const [host, code, message] of failing) {
    it(`fails for ${host}: ${message}`, async () => {
      const error = await failure(addresses(host));
      assert.deepEqual([error.code, error.message], [code, message]);
    });
  }
});
