/**
 * Builders for DMARC aggregate report inputs in tests and benchmarks: report XML from a compact
 * spec, zip archives (written here rather than with a library so that tests can also write the
 * lying headers of a zip bomb), and MIME emails and mbox files carrying reports as attachments.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import type { ParsedReport } from "../../cli/reports/model";
import { parseReportBytes } from "../../cli/reports/parse";

export const REPORT_FIXTURES = path.join(__dirname, "..", "fixtures", "reports");

export interface RecordSpec {
  readonly ip: string;
  readonly count: number | string;
  /** @default "none" */
  readonly disposition?: string;
  /** policy_evaluated results. @default "pass" */
  readonly dkim?: string;
  /** @default "pass" */
  readonly spf?: string;
  /** @default the report's domain */
  readonly headerFrom?: string;
  readonly envelopeFrom?: string;
  readonly reasons?: readonly string[];
  readonly dkimResults?: readonly { domain: string; selector: string; result: string }[];
  readonly spfResults?: readonly { domain: string; scope?: string; result: string }[];
}

export interface ReportSpec {
  /** @default "receiver.example" */
  readonly org?: string;
  /** @default "r1" */
  readonly reportId?: string;
  /** @default 1790812800 (2026-10-01) */
  readonly begin?: number | string;
  /** @default begin + 86399 */
  readonly end?: number | string;
  /** @default "example.com" */
  readonly domain?: string;
  /** @default "none" */
  readonly p?: string;
  readonly sp?: string;
  readonly pct?: number | string;
  /** Writes the RFC 9990 namespace and `<version>1.0</version>`. @default false */
  readonly rfc9990?: boolean;
  readonly records: readonly RecordSpec[];
}

const esc = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function reportXml(spec: ReportSpec): string {
  const domain = spec.domain ?? "example.com";
  const begin = spec.begin ?? 1790812800;
  const end = spec.end ?? (typeof begin === "number" ? begin + 86399 : begin);
  const records = spec.records
    .map((r) => {
      const reasons = (r.reasons ?? []).map((t) => `<reason><type>${t}</type></reason>`).join("");
      const dkim = (r.dkimResults ?? [])
        .map(
          (d) =>
            `<dkim><domain>${d.domain}</domain><selector>${d.selector}</selector><result>${d.result}</result></dkim>`,
        )
        .join("");
      const spf = (r.spfResults ?? [])
        .map(
          (s) =>
            `<spf><domain>${s.domain}</domain>${s.scope === undefined ? "" : `<scope>${s.scope}</scope>`}<result>${s.result}</result></spf>`,
        )
        .join("");
      return (
        `<record><row><source_ip>${r.ip}</source_ip><count>${r.count}</count><policy_evaluated>` +
        `<disposition>${r.disposition ?? "none"}</disposition><dkim>${r.dkim ?? "pass"}</dkim><spf>${r.spf ?? "pass"}</spf>${reasons}` +
        `</policy_evaluated></row><identifiers>${r.envelopeFrom === undefined ? "" : `<envelope_from>${r.envelopeFrom}</envelope_from>`}` +
        `<header_from>${r.headerFrom ?? domain}</header_from></identifiers><auth_results>${dkim}${spf}</auth_results></record>\n`
      );
    })
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<feedback${spec.rfc9990 === true ? ' xmlns="urn:ietf:params:xml:ns:dmarc-2.0"' : ""}>\n` +
    (spec.rfc9990 === true ? "<version>1.0</version>\n" : "") +
    `<report_metadata><org_name>${esc(spec.org ?? "receiver.example")}</org_name><email>dmarc@receiver.example</email>` +
    `<report_id>${esc(spec.reportId ?? "r1")}</report_id><date_range><begin>${begin}</begin><end>${end}</end></date_range></report_metadata>\n` +
    `<policy_published><domain>${domain}</domain><p>${spec.p ?? "none"}</p>${spec.sp === undefined ? "" : `<sp>${spec.sp}</sp>`}` +
    `${spec.pct === undefined ? "" : `<pct>${spec.pct}</pct>`}</policy_published>\n${records}</feedback>\n`
  );
}

export interface ZipEntrySpec {
  readonly name: string;
  readonly data: Buffer;
  /** @default true */
  readonly deflate?: boolean;
  /** Writes this uncompressed size into the headers instead of the real one (a lying zip bomb). */
  readonly declaredSize?: number;
}

/** A zip archive (PKZIP APPNOTE 4.3.7 local headers, 4.3.12 central directory, 4.3.16 end record). */
export function zipArchive(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, "utf8");
    const deflate = entry.deflate ?? true;
    const body = deflate ? deflateRawSync(entry.data) : entry.data;
    const size = entry.declaredSize ?? entry.data.length;
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export interface AttachmentSpec {
  readonly filename?: string;
  readonly contentType: string;
  readonly data: Buffer;
  /** `inline` for an embedded message that should be parsed in place. @default "attachment" */
  readonly disposition?: string;
}

/** A MIME email (RFC 2045/2046) as receivers send reports: a text part and base64 attachments. */
export function email(subject: string, attachments: readonly AttachmentSpec[], boundary = "=_report_boundary"): Buffer {
  const parts = attachments.map((a) => {
    const name = a.filename === undefined ? "" : `; name="${a.filename}"`;
    const file = a.filename === undefined ? "" : `; filename="${a.filename}"`;
    const base64 = a.data.toString("base64").replace(/.{76}/g, "$&\r\n");
    return (
      `--${boundary}\r\nContent-Type: ${a.contentType}${name}\r\nContent-Transfer-Encoding: base64\r\n` +
      `Content-Disposition: ${a.disposition ?? "attachment"}${file}\r\n\r\n${base64}\r\n`
    );
  });
  return Buffer.from(
    `From: noreply-dmarc-support@receiver.example\r\nTo: dmarc@example.com\r\nSubject: ${subject}\r\n` +
      `Date: Fri, 02 Oct 2026 09:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, "")}@receiver.example>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n` +
      `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThis is an aggregate report.\r\n` +
      `${parts.join("")}--${boundary}--\r\n`,
  );
}

/** An mboxrd file (RFC 4155): each message after a `From ` line, body lines starting `From ` quoted. */
export function mbox(messages: readonly Buffer[]): Buffer {
  return Buffer.from(
    messages
      .map((m) => {
        const body = m
          .toString("latin1")
          .replace(/\r\n/g, "\n")
          .replace(/^(>*From )/gm, ">$1");
        return `From noreply@receiver.example Fri Oct  2 09:00:00 2026\n${body}\n`;
      })
      .join(""),
    "latin1",
  );
}

/** A fixture file of test/fixtures/reports, or a report built from a spec, parsed. */
export function parsed(source: string | ReportSpec): ParsedReport {
  const bytes =
    typeof source === "string" ? readFileSync(path.join(REPORT_FIXTURES, source)) : Buffer.from(reportXml(source));
  const report = parseReportBytes(bytes, { maxDepth: 32 });
  if (report === "before-since") throw new Error("unexpected before-since");
  return report;
}
