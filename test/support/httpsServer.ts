/**
 * A local HTTPS server for tests of what `check` fetches (MTA-STS policies, BIMI logos and
 * certificates): it listens on 127.0.0.1 at a free port and serves given paths per Host name, with
 * certificates from a throwaway test CA made when it starts. Test-only: the CA and leaf keys are
 * generated in memory at every start (Node's RSA key generation, node-forge for the X.509 structures) and never
 * written anywhere; only the CA certificate is written, to a fresh temporary directory, for
 * `NODE_EXTRA_CA_CERTS` in spawned CLI processes (`env()`). In process, pass `ca` to the fetch.
 *
 *   const server = await startHttpsServer({
 *     "mta-sts.example.com": { paths: { "/.well-known/mta-sts.txt": "version: STSv1\n..." } },
 *   });
 *   try { runCli(["check", "--https-port", String(server.port)], { env: server.env() }); }
 *   finally { await server.stop(); }
 *
 * A site's certificate can be made wrong on purpose (`certificate`): for another name, from a CA
 * nobody trusts, or expired. A request for a name without a site gets a certificate for
 * `unknown.invalid` (so verification fails) and a 421.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";
import forge from "node-forge";
import { inheritedEnv } from "./cli";

/** What one path answers. A string is a 200 with that body as `text/plain`. */
export type HttpsRoute =
  | string
  | {
      /** @default 200 */
      readonly status?: number;
      /** @default { "content-type": "text/plain" } */
      readonly headers?: Readonly<Record<string, string>>;
      /** @default "" */
      readonly body?: string | Buffer;
      /** Never answer (the fetch's time bound). @default false */
      readonly hang?: boolean;
      /** After the headers, send chunks of this body without end (the fetch's size bound). @default false */
      readonly endless?: boolean;
    };

export type CertificateKind =
  /** Issued by the test CA for the site's name. */
  | "valid"
  /** Issued by the test CA, but for `other.invalid` only. */
  | "wrong-name"
  /** Self-signed by a CA that is not in `ca`/`NODE_EXTRA_CA_CERTS`. */
  | "untrusted"
  /** Issued by the test CA for the site's name, expired yesterday. */
  | "expired"
  /** Issued by the test CA with the site's name as Common Name only, no subjectAltName. */
  | "common-name-only";

export interface HttpsSite {
  /** Path (with its query, if any) → answer; any other path is a 404. */
  readonly paths: Readonly<Record<string, HttpsRoute>>;
  /** @default "valid" */
  readonly certificate?: CertificateKind;
}

export interface HttpsRequestSeen {
  /** The Host header, without a port. */
  readonly host: string;
  /** The TLS server name the client asked for (SNI), if any. */
  readonly servername: string | undefined;
  readonly method: string;
  readonly path: string;
}

export interface LocalHttpsServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** The test CA's certificate (PEM): the `ca` of an in-process fetch. */
  readonly ca: string;
  /** Where the CA certificate is written (for NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  /** `base` (default: this process's environment minus node:test's) with NODE_EXTRA_CA_CERTS set to `caFile`. */
  env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Replaces (or adds) a site; its certificate is made if not made yet. */
  setSite(host: string, site: HttpsSite): void;
  /** Every request answered so far, in order. */
  requests(): readonly HttpsRequestSeen[];
  /** Closes the server (and every connection) and removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

const DAY_MS = 24 * 3600 * 1000;

interface Issuer {
  readonly cert: forge.pki.Certificate;
  readonly key: forge.pki.rsa.PrivateKey;
}

/** A fresh RSA key pair (2048 bits: what real CAs issue, fast with Node's native generation). */
function keyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem);
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

function certificate(
  subject: string,
  publicKey: forge.pki.rsa.PublicKey,
  options: {
    readonly issuer?: Issuer;
    readonly selfKey?: forge.pki.rsa.PrivateKey;
    /** subjectAltName DNS names of a leaf; none: a CA. */
    readonly names?: readonly string[];
    readonly expired?: boolean;
  },
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial of 16 random octets (RFC 5280 §4.1.2.2).
  cert.serialNumber = `01${randomBytes(15).toString("hex")}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - (options.expired === true ? 3 : 1) * DAY_MS);
  cert.validity.notAfter = new Date(now + (options.expired === true ? -1 : 1) * DAY_MS);
  cert.setSubject([{ name: "commonName", value: subject }]);
  cert.setIssuer(
    options.issuer === undefined ? [{ name: "commonName", value: subject }] : options.issuer.cert.subject.attributes,
  );
  const { names } = options;
  cert.setExtensions(
    names === undefined
      ? [
          { name: "basicConstraints", cA: true, critical: true },
          { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
          { name: "subjectKeyIdentifier" },
        ]
      : [
          { name: "basicConstraints", cA: false },
          { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
          { name: "extKeyUsage", serverAuth: true },
          ...(names.length === 0
            ? []
            : [{ name: "subjectAltName", altNames: names.map((value) => ({ type: 2, value })) }]),
        ],
  );
  const signer = options.issuer?.key ?? options.selfKey;
  if (signer === undefined) throw new Error("a certificate needs an issuer or its own key");
  cert.sign(signer, forge.md.sha256.create());
  return cert;
}

function makeCa(name: string): Issuer {
  const { privateKey, publicKey } = keyPair();
  return { cert: certificate(name, publicKey, { selfKey: privateKey }), key: privateKey };
}

/** A TLS context for `name`'s certificate of the given kind, chained to its issuer. */
function leafContext(
  name: string,
  kind: CertificateKind,
  testCa: Issuer,
  otherCa: () => Issuer,
  leafKey: ReturnType<typeof keyPair>,
): SecureContext {
  const issuer = kind === "untrusted" ? otherCa() : testCa;
  const { privateKey, publicKey } = leafKey;
  const names = kind === "wrong-name" ? ["other.invalid"] : kind === "common-name-only" ? [] : [name];
  const cert = certificate(names[0] ?? name, publicKey, { issuer, names, expired: kind === "expired" });
  return createSecureContext({
    key: forge.pki.privateKeyToPem(privateKey),
    cert: forge.pki.certificateToPem(cert) + forge.pki.certificateToPem(issuer.cert),
  });
}

const hostOf = (header: string | undefined): string =>
  (header ?? "").replace(/:\d+$/, "").replace(/\.$/, "").toLowerCase();

/**
 * Starts the server with `sites` (Host name → site): two RSA keys (the test CA's and the leaves'),
 * a third for the first `untrusted` site, a certificate per site.
 */
export async function startHttpsServer(sites: Readonly<Record<string, HttpsSite>> = {}): Promise<LocalHttpsServer> {
  const testCa = makeCa("sender-auth test-only CA");
  // One key for every leaf: what a test checks is the certificates, and each RSA key costs time.
  const leafKey = keyPair();
  let untrustedCa: Issuer | undefined;
  const otherCa = (): Issuer => (untrustedCa ??= makeCa("sender-auth untrusted test-only CA"));
  const served = new Map<string, HttpsSite>();
  const contexts = new Map<string, { kind: CertificateKind; context: SecureContext }>();
  const unknown = leafContext("unknown.invalid", "valid", testCa, otherCa, leafKey);
  const setSite = (host: string, site: HttpsSite): void => {
    const name = host.toLowerCase();
    const kind = site.certificate ?? "valid";
    if (contexts.get(name)?.kind !== kind) {
      contexts.set(name, { kind, context: leafContext(name, kind, testCa, otherCa, leafKey) });
    }
    served.set(name, site);
  };
  for (const [host, site] of Object.entries(sites)) setSite(host, site);

  const dir = mkdtempSync(path.join(tmpdir(), "sender-auth-https-"));
  const caPem = forge.pki.certificateToPem(testCa.cert);
  const caFile = path.join(dir, "test-ca.pem");
  writeFileSync(caFile, caPem);

  const seen: HttpsRequestSeen[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(
    {
      SNICallback: (servername, done) => {
        done(null, contexts.get(servername.toLowerCase())?.context ?? unknown);
      },
    },
    (request, response) => {
      const host = hostOf(request.headers.host);
      const servername = (request.socket as Socket & { servername?: string | false }).servername;
      const requestPath = request.url ?? "/";
      seen.push({
        host,
        servername: typeof servername === "string" ? servername : undefined,
        method: request.method ?? "GET",
        path: requestPath,
      });
      const site = served.get(host);
      if (site === undefined) {
        response.writeHead(421, { "content-type": "text/plain" }).end(`no site for ${host}\n`);
        return;
      }
      const route = site.paths[requestPath];
      if (route === undefined) {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
        return;
      }
      const answer = typeof route === "string" ? { body: route } : route;
      if (answer.hang === true) return;
      response.writeHead(answer.status ?? 200, answer.headers ?? { "content-type": "text/plain" });
      const body = answer.body ?? "";
      if (answer.endless !== true) {
        response.end(body);
        return;
      }
      const chunk = Buffer.from(typeof body === "string" && body !== "" ? body : "x".repeat(16 * 1024));
      const more = (): void => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once("drain", more);
      };
      more();
    },
  );
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // A client that gives up mid-handshake is not an error of the server's.
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    host: "127.0.0.1",
    port,
    ca: caPem,
    caFile,
    env: (base = inheritedEnv()) => ({ ...base, NODE_EXTRA_CA_CERTS: caFile }),
    setSite,
    requests: () => [...seen],
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      }).finally(() => {
        rmSync(dir, { recursive: true, force: true });
      })),
  };
}
