/**
 * `check --mx-tls`: what senders that apply a domain's MTA-STS policy find at its MX hosts (RFC 8461
 * §4.1: STARTTLS, a certificate that chains to a trusted root, is unexpired and names the MX host;
 * §5: in `enforce` they do not deliver otherwise, in `testing` they deliver and report). The probe
 * itself is cli/check/smtpTls.ts; here its results become findings. Loaded by `check` only.
 */
import type { Finding, FindingResult, StackContext } from "../../../cli/check/context";
import type { SmtpTlsProbe, SmtpTlsResult } from "../../../cli/check/smtpTls";
import type { MtaStsConfig } from "./schema";

const SUBJECT = "mta-sts";
const DAY_MS = 24 * 3600 * 1000;

/** A certificate that expires within this many days is a warning: renewal is due (or has failed). */
export const MX_CERTIFICATE_WARN_DAYS = 14;

/** MX hosts probed per domain: senders use a few; a domain listing hundreds is not probed host by host. */
export const MAX_PROBED_MX_HOSTS = 10;

type Mode = Exclude<MtaStsConfig["mode"], "none">;

/** What a host that fails the policy's requirements means for mail, by the policy's mode (RFC 8461 §5). */
const consequence = (mode: Mode): { result: FindingResult; effect: string } =>
  mode === "enforce"
    ? { result: "fail", effect: "senders that apply the policy do not deliver there (RFC 8461 §4.1, §5)" }
    : { result: "warn", effect: "senders that apply the policy deliver there but report a failure (RFC 8461 §5)" };

const day = (date: Date): string => date.toISOString().slice(0, 10);
const days = (n: number): string => `${n} ${n === 1 ? "day" : "days"}`;
const sClient = (host: string): string => `\`openssl s_client -starttls smtp -connect ${host}:25 -servername ${host}\``;

/** The findings of one probed host. */
function hostFindings(result: SmtpTlsResult, mode: Mode, now: Date): Finding[] {
  const { host, address, port } = result;
  const at = address === undefined ? "" : ` (${address} port ${port})`;
  const { result: failed, effect } = consequence(mode);
  const finding = (code: string, result: FindingResult, message: string, hint?: string): Finding => ({
    code,
    result,
    subject: SUBJECT,
    message: `MX host ${host}${at}: ${message}`,
    ...(hint === undefined ? {} : { hint }),
  });
  const { failure, certificate } = result;
  if (failure !== undefined) {
    switch (failure.code) {
      case "CONNECT":
        return [
          finding(
            "mta-sts-mx-tls-unreachable",
            "warn",
            `could not connect (${failure.message}): outbound port 25 may be blocked from here; its STARTTLS certificate is unverified`,
            `run \`check --mx-tls\` where outbound port 25 is open (many networks and CI runners, GitHub-hosted ones ` +
              `included, block it), or make sure ${host} accepts connections on port 25`,
          ),
        ];
      case "DNS":
        return [
          finding(
            "mta-sts-mx-tls-address",
            failed,
            `${failure.message}: senders find no server to deliver to`,
            `${host} must resolve to its SMTP server: \`dig A ${host}\` should list its address`,
          ),
        ];
      case "NO_STARTTLS":
        return [
          finding(
            "mta-sts-mx-starttls-missing",
            failed,
            `${failure.message}: ${effect}`,
            `enable STARTTLS (RFC 3207) on the SMTP server of ${host}, with a certificate for ${host} from a CA the public trusts`,
          ),
        ];
      case "TLS":
        return [
          finding(
            "mta-sts-mx-tls-handshake",
            failed,
            `${failure.message}: ${effect}`,
            `the SMTP server of ${host} must complete a TLS handshake (TLS 1.2 or later) after STARTTLS: ${sClient(host)} shows what goes wrong`,
          ),
        ];
      case "TIMEOUT":
      case "SMTP":
        return [
          finding(
            "mta-sts-mx-smtp-error",
            failed,
            `${failure.message}: its STARTTLS certificate is unverified, and senders cannot deliver there either`,
            `${sClient(host)} shows what the server says; a server that says nothing at all may also be a firewall here ` +
              "that accepts connections to port 25 and passes nothing on",
          ),
        ];
      case "LIMIT":
        return [
          finding(
            "check-limit",
            "fail",
            `STARTTLS probe ${failure.message}`,
            "unverified: run the check again, with a longer --stack-timeout",
          ),
        ];
    }
  }
  if (certificate === undefined) return [];
  const { issuer, validFrom, validTo, chainError, nameError, subjectAltName, protocol } = certificate;
  const findings: Finding[] = [];
  // The chain as the TLS library judged it; a lapsed validity is said below, by the check's clock.
  if (chainError !== undefined && chainError !== "CERT_HAS_EXPIRED" && chainError !== "CERT_NOT_YET_VALID") {
    findings.push(
      finding(
        "mta-sts-mx-tls-untrusted",
        failed,
        `its certificate does not chain to a trusted root (${chainError}; issued by ${issuer}): ${effect}`,
        `install on ${host} a certificate from a CA the public trusts, and have its SMTP server send the intermediate ` +
          `certificates with it (${sClient(host)} -showcerts lists what it sends)`,
      ),
    );
  }
  if (nameError !== undefined) {
    findings.push(
      finding(
        "mta-sts-mx-tls-name",
        failed,
        `its certificate is not valid for ${host} (its subjectAltName: ${subjectAltName}): ${effect}`,
        `the certificate of ${host} must name ${host} in a subjectAltName (a wildcard covers one left-most label); ` +
          "senders do not read the Common Name (RFC 8461 §4.1)",
      ),
    );
  }
  const left = Math.floor((validTo.getTime() - now.getTime()) / DAY_MS);
  const renew = (before: string): string =>
    `renew the certificate of ${host} (issued by ${issuer})${before} and reload its SMTP server; automate the renewal`;
  if (validTo.getTime() <= now.getTime() || chainError === "CERT_HAS_EXPIRED") {
    const ago = Math.max(0, Math.floor((now.getTime() - validTo.getTime()) / DAY_MS));
    findings.push(
      finding(
        "mta-sts-mx-tls-expired",
        failed,
        `its certificate expired ${day(validTo)} (${days(ago)} ago): ${effect}`,
        renew(""),
      ),
    );
  } else if (validFrom.getTime() > now.getTime() || chainError === "CERT_NOT_YET_VALID") {
    findings.push(
      finding(
        "mta-sts-mx-tls-expired",
        failed,
        `its certificate is not valid before ${validFrom.toISOString()}: ${effect}`,
        `install a certificate for ${host} that is valid now, or correct the clock of the CA that issued it`,
      ),
    );
  } else if (findings.length === 0) {
    if (left < MX_CERTIFICATE_WARN_DAYS) {
      findings.push(
        finding(
          "mta-sts-mx-tls-expiring",
          "warn",
          `its certificate expires ${day(validTo)} (${days(left)} left): once it has, ${effect}`,
          renew(` before ${day(validTo)}`),
        ),
      );
    } else {
      findings.push(
        finding(
          "mta-sts-mx-tls",
          "ok",
          `STARTTLS (${protocol}) with a valid certificate, issued by ${issuer}, expires ${day(validTo)} (${days(left)} left)`,
        ),
      );
    }
  }
  return findings;
}

/**
 * The MX hosts' STARTTLS certificates (`check --mx-tls`), MAX_PROBED_MX_HOSTS at most, probed at
 * once; nothing when probing is off or the policy's mode is `none` (senders then apply nothing).
 */
export async function mxTlsFindings(
  context: StackContext,
  hosts: readonly string[],
  mode: MtaStsConfig["mode"],
  now: Date,
): Promise<Finding[]> {
  const probe: SmtpTlsProbe | undefined = context.probeMx;
  if (probe === undefined || mode === "none") return [];
  const probed = hosts.slice(0, MAX_PROBED_MX_HOSTS);
  const results = await Promise.all(probed.map((host) => probe(host)));
  const findings = results.flatMap((result) => hostFindings(result, mode, now));
  if (hosts.length > probed.length) {
    findings.push({
      code: "mta-sts-mx-tls-skipped",
      result: "warn",
      subject: SUBJECT,
      message:
        `${hosts.length - probed.length} of ${hosts.length} MX hosts not probed (at most ${MAX_PROBED_MX_HOSTS} per domain): ` +
        "their STARTTLS certificates are unverified",
      served: hosts.slice(MAX_PROBED_MX_HOSTS),
      hint: `probe them yourself: ${sClient("<host>")}`,
    });
  }
  return findings;
}
