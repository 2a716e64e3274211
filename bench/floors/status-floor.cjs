"use strict";
// Floor of the status benchmark: the least a program can do to show one row per stack. Reads every
// stack file of the directory in argv[2] (`Pulumi.<stack>.yaml`, in name order) and parses it with
// the same YAML library `status` uses; per stack, the domain, DNS provider and DMARC stage as
// written, and per DKIM selector its status, algorithm, key size (an RSA key decoded by Node's
// crypto, as a row shows it), creation date and age on the day in argv[3]; the rotation step due
// next by the same calendar (the active key older than maxKeyAgeDays, default 180; a retired key
// revocable after 7 days). No validation, no warnings, no report evidence, no TypeScript loader, one
// thread. Prints the rows as JSON.
const { readdirSync, readFileSync } = require("node:fs");
const { createPublicKey } = require("node:crypto");
const path = require("node:path");
const { parse } = require("yaml");

const DAY_MS = 86_400_000;
const dir = process.argv[2];
const now = Date.parse(process.argv[3]);

const ageDays = (date) => (date === undefined ? null : Math.floor((now - Date.parse(date)) / DAY_MS));

// RSA keys are published as SubjectPublicKeyInfo DER, Ed25519 ones as the raw 32 bytes (RFC 8463).
function keyOf(selector) {
  if (selector.cname !== undefined || selector.publicKey === undefined) return { algorithm: null, bits: null };
  const der = Buffer.from(selector.publicKey, "base64");
  if (selector.algorithm === "ed25519") return { algorithm: "ed25519", bits: der.length * 8 };
  const key = createPublicKey({ key: der, format: "der", type: "spki" });
  return { algorithm: "rsa", bits: key.asymmetricKeyDetails.modulusLength };
}

function rotation(selectors, maxKeyAgeDays) {
  const retired = selectors.find((s) => s.status === "retired");
  if (retired !== undefined) {
    const from = Date.parse(retired.retiredAt) + 7 * DAY_MS;
    return { due: now >= from, next: "revoke", notBefore: new Date(from).toISOString().slice(0, 10) };
  }
  const published = selectors.find((s) => s.status === "published");
  if (published !== undefined) return { due: true, next: "activate" };
  const active = selectors.find((s) => s.status === "active" && s.algorithm !== null);
  if (active === undefined || active.ageDays === null) return { due: false, next: null };
  return { due: active.ageDays > maxKeyAgeDays, next: "start" };
}

const rows = [];
for (const name of readdirSync(dir).sort()) {
  const match = /^Pulumi\.(.+)\.ya?ml$/.exec(name);
  if (match === null) continue;
  const config = parse(readFileSync(path.join(dir, name), "utf8")).config;
  const dkim = config["sender-auth:dkim"] ?? {};
  const dmarc = config["sender-auth:dmarc"];
  const selectors = Object.entries(dkim.selectors ?? {}).map(([selector, s]) => ({
    selector,
    status: s.status,
    ...keyOf(s),
    createdAt: s.createdAt ?? null,
    ageDays: ageDays(s.createdAt),
    retiredAt: s.retiredAt,
  }));
  rows.push({
    stack: match[1],
    domain: config["sender-auth:domain"],
    provider: config["sender-auth:dns"]?.provider ?? null,
    dmarc:
      dmarc === undefined
        ? null
        : {
            policy: dmarc.policy,
            subdomainPolicy: dmarc.subdomainPolicy ?? null,
            testing: dmarc.testing ?? false,
            percent: dmarc.percent ?? null,
          },
    selectors: selectors.map(({ retiredAt, ...s }) => s),
    rotation: rotation(selectors, dkim.maxKeyAgeDays ?? 180),
  });
}
process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
