import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { namedAvailable, skipOrFailWithoutNamed, startBind, txtRdata } from "../support/bind";

function errorCode(error: unknown): unknown {
  return error instanceof Error && "code" in error ? error.code : undefined;
}

test("namedAvailable() reports whether named is installed", () => {
  assert.equal(typeof namedAvailable(), "boolean");
});

test("serves two zones; long TXT round trips; NXDOMAIN and NODATA codes", async (t) => {
  if (skipOrFailWithoutNamed(t)) return;

  const s1 = "a".repeat(255);
  const s2 = "b".repeat(255);
  const s3 = "c".repeat(90);
  const value = s1 + s2 + s3;
  assert.equal(value.length, 600);

  const server = await startBind([
    {
      origin: "example.com",
      body: `
        $TTL 60
        @               IN TXT "v=spf1 include:_spf.example.net -all"
        @               IN MX 10 mx1.example.com.
        mx1             IN A 192.0.2.25
        long._domainkey IN TXT ${txtRdata(value)}
        _dmarc          IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
      `,
    },
    {
      origin: "example.net",
      body: `$ORIGIN _spf.example.net.
@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
`,
    },
  ]);
  t.after(() => server.stop());

  assert.equal(server.host, "127.0.0.1");
  assert.ok(server.port > 0 && server.port < 65536);

  // Long TXT: three character-strings, returned as one record of three chunks.
  const long = await server.resolve("long._domainkey.example.com", "TXT");
  assert.deepEqual(long, [[s1, s2, s3]]);
  assert.ok(Array.isArray(long));
  const record: unknown = long[0];
  assert.ok(Array.isArray(record));
  assert.equal(record.join(""), value);

  // Both zones are served; the unbound function keeps working (mailauth style).
  const resolve = server.resolve;
  assert.deepEqual(await resolve("example.com", "TXT"), [["v=spf1 include:_spf.example.net -all"]]);
  assert.deepEqual(await resolve("_spf.example.net", "TXT"), [["v=spf1 ip4:192.0.2.0/24 -all"]]);
  assert.deepEqual(await resolve("example.com", "MX"), [{ exchange: "mx1.example.com", priority: 10 }]);
  assert.deepEqual(await server.resolver.resolve4("mx1.example.com"), ["192.0.2.25"]);
  const soa = await server.resolver.resolveSoa("example.net");
  assert.equal(soa.nsname, "ns1.example.net");

  // NXDOMAIN -> ENOTFOUND, NODATA -> ENODATA (what mailauth checks for).
  await assert.rejects(resolve("nope.example.com", "TXT"), (error: unknown) => {
    assert.equal(errorCode(error), "ENOTFOUND");
    return true;
  });
  await assert.rejects(resolve("mx1.example.com", "TXT"), (error: unknown) => {
    assert.equal(errorCode(error), "ENODATA");
    return true;
  });
  await assert.rejects(resolve("_dmarc.example.com", "MX"), (error: unknown) => {
    assert.equal(errorCode(error), "ENODATA");
    return true;
  });

  const dir = server.dir;
  assert.ok(existsSync(dir));
  await server.stop();
  assert.equal(existsSync(dir), false, "stop() removes the temporary directory");
  await server.stop(); // idempotent
});

test("an invalid zone makes startBind throw with named-checkzone's message", async (t) => {
  if (skipOrFailWithoutNamed(t)) return;

  await assert.rejects(
    startBind([
      { origin: "good.example", body: `@ IN TXT "fine"` },
      { origin: "bad.example", body: `www IN A not-an-address` },
    ]),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /named-checkzone rejected zone bad\.example/);
      assert.match(error.message, /bad dotted quad|not-an-address/);
      return true;
    },
  );

  // A single TXT character-string longer than 255 octets is rejected too.
  await assert.rejects(
    startBind([{ origin: "long.example", body: `@ IN TXT "${"x".repeat(256)}"` }]),
    /named-checkzone rejected zone long\.example/,
  );
});

test("queries(): every question asked since start, in order, without the readiness probes or its own markers", async (t) => {
  if (skipOrFailWithoutNamed(t)) return;
  const origins = Array.from({ length: 40 }, (_, i) => `zone${String(i)}.example`);
  const server = await startBind(
    origins.map((origin) => ({ origin, body: `@ IN TXT "v=spf1 -all"` })),
    { queryLog: true },
  );
  try {
    // Nothing asked yet: the 40 SOA probes startBind made are not the caller's.
    assert.deepEqual(await server.queries(), []);
    for (const origin of origins) await server.resolver.resolveTxt(origin);
    await server.resolver.resolveMx("zone3.example").catch(() => undefined);
    // Asked back to back, read at once: nothing is lost to the log pipe's lag (the check benchmark
    // once counted a readiness probe as a question and failed CI).
    const asked = (await server.queries()).map((line) => / query: (\S+) IN (\S+) /.exec(line)?.slice(1).join(" "));
    assert.deepEqual(asked, [...origins.map((o) => `${o} TXT`), "zone3.example MX"]);
    assert.deepEqual(await server.queries(), await server.queries());
  } finally {
    await server.stop();
  }
});

test("queries() is empty without queryLog", async (t) => {
  if (skipOrFailWithoutNamed(t)) return;
  const server = await startBind([{ origin: "example.com", body: `@ IN TXT "v=spf1 -all"` }]);
  try {
    await server.resolver.resolveTxt("example.com");
    assert.deepEqual(await server.queries(), []);
  } finally {
    await server.stop();
  }
});
