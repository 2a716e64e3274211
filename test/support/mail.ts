/** Signing and verifying test messages with mailauth, the verifier the project trusts. */
import { dkimSign, dkimVerify, type DNSResolver } from "mailauth";
import type { PublishedRecord } from "../../components/model";
import { splitCharacterStrings } from "../../components/records/txt";

export function testMessage(domain: string, subject: string): string {
  return [
    `From: Someone <someone@${domain}>`,
    `To: Receiver <receiver@example.net>`,
    `Subject: ${subject}`,
    "Date: Sat, 28 Nov 2026 10:00:00 +0000",
    `Message-ID: <${subject.replace(/\W+/g, "-")}@${domain}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "A message signed with a sender-auth key.",
    "",
  ].join("\r\n");
}

/** The message with a DKIM-Signature header made with `privateKey` under `selector`. */
export async function signMessage(
  domain: string,
  selector: string,
  privateKey: string,
  subject = `signed by ${selector}`,
): Promise<string> {
  const raw = testMessage(domain, subject);
  const signature = { signingDomain: domain, selector, privateKey };
  // mailauth signs only what `signatureData` lists; its typings also want the top-level fields.
  const result = await dkimSign(raw, {
    ...signature,
    signatureData: [signature],
    canonicalization: "relaxed/relaxed",
    strict: true,
  });
  if (result.errors.length > 0) throw new Error(`dkimSign failed: ${JSON.stringify(result.errors)}`);
  return result.signatures + raw;
}

/** The DKIM result of the first signature: "pass", "fail", "neutral", ... */
export async function verifyDkim(raw: string, resolver: DNSResolver): Promise<string> {
  const result = await dkimVerify(raw, { resolver });
  return result.results[0]?.status.result ?? "none";
}

/** An in-memory resolver answering TXT from planned records, each cut into 255-octet strings. */
export function recordsResolver(records: readonly PublishedRecord[]): DNSResolver {
  return (name, rrtype) => {
    const matches = records.filter((r) => r.name === name.toLowerCase() && r.type === rrtype);
    if (matches.length === 0) {
      const error = new Error(`queryTxt ENOTFOUND ${name}`) as NodeJS.ErrnoException;
      error.code = "ENOTFOUND";
      return Promise.reject(error);
    }
    return Promise.resolve(matches.map((r) => splitCharacterStrings(r.value)));
  };
}
