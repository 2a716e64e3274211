/**
 * Benchmark 3, keygen (issue #6): RSA 2048 and 4096 key generation as `sender-auth keygen` does it
 * (components/sections/dkim/keys.ts: forge's native path, PKCS#8 PEM and the DKIM p= value), against
 * `openssl genrsa` run in the same benchmark (the by-hand routine: a process, and Debian's OpenSSL),
 * and against `crypto.generateKeyPairSync` in the same process (the same OpenSSL as sender-auth's,
 * nothing around it). RSA generation time varies a lot from key to key (the prime search is random),
 * so each size takes many runs, alternating the sides.
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { generateDkimKey, type KeyType } from "../components/sections/dkim/keys";
import { alternate, formatSummary, progress, table } from "./lib/stats";

/** Wall time of `openssl genrsa <bits>`; the key goes to a pipe that is read and dropped. */
function opensslGenrsa(bits: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn("openssl", ["genrsa", String(bits)], { stdio: ["ignore", "pipe", "ignore"] });
    child.stdout.resume();
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`openssl genrsa ${bits} exited ${String(code)}`));
    });
  });
}

/** The same OpenSSL generation in this process through Node, with nothing around it. */
function nodeCrypto(bits: number): Promise<number> {
  const started = performance.now();
  generateKeyPairSync("rsa", {
    modulusLength: bits,
    publicExponent: 0x10001,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "der" },
  });
  return Promise.resolve(performance.now() - started);
}

function generate(type: KeyType): Promise<number> {
  const started = performance.now();
  const key = generateDkimKey(type);
  const elapsed = performance.now() - started;
  if (!key.privateKeyPem.startsWith("-----BEGIN PRIVATE KEY-----")) throw new Error("unexpected key format");
  return Promise.resolve(elapsed);
}

export async function benchKeygen(runs: { readonly rsa2048: number; readonly rsa4096: number }): Promise<string> {
  const rows: string[][] = [];
  for (const [type, bits, count] of [
    ["rsa-2048", 2048, runs.rsa2048],
    ["rsa-4096", 4096, runs.rsa4096],
  ] as const) {
    progress(`keygen: ${type}, ${count} runs each against openssl genrsa and against Node crypto`);
    const openssl = await alternate(
      count,
      () => generate(type),
      () => opensslGenrsa(bits),
      (ms) => ms,
    );
    const node = await alternate(
      count,
      () => generate(type),
      () => nodeCrypto(bits),
      (ms) => ms,
    );
    rows.push([
      type,
      String(count),
      formatSummary(openssl.subjectMs),
      formatSummary(openssl.floorMs),
      `${(openssl.subjectMs.median / openssl.floorMs.median).toFixed(2)}×`,
      formatSummary(node.subjectMs),
      formatSummary(node.floorMs),
      `${(node.subjectMs.median / node.floorMs.median).toFixed(2)}×`,
    ]);
  }
  return `${table(["key", "runs", "sender-auth", "openssl genrsa (process)", "ratio", "sender-auth (again)", "Node crypto, in process", "ratio"], rows)}\n`;
}
