/**
 * One DMARC aggregate report, XML bytes in, {@link ParsedReport} out, streaming: the document is fed
 * in chunks as it is read or decompressed and never held whole. Reads the three shapes receivers
 * send: RFC 9990 (namespace `urn:ietf:params:xml:ns:dmarc-2.0`, `<version>1.0</version>`, `np`,
 * `testing`, `discovery_method`, `generator`), RFC 7489 Appendix C (`<version>`, no namespace or
 * `http://dmarc.org/dmarc-xml/0.1`, `pct`) and the older draft (neither). Extensions (RFC 9990 §5)
 * and elements it does not know are skipped.
 *
 * XML is parsed by saxes, a streaming parser that expands only the five predefined entities and
 * character references and never reads a DTD or an external entity; a document with a DOCTYPE is
 * refused before its internal subset is looked at, so entity-expansion ("billion laughs") and XXE
 * documents end as errors without expanding. Values are checked as they close: a report with an
 * impossible value (a negative or absurd count, an address that is not one, a date range that
 * ends before it begins) is refused whole, since none of its numbers can then be trusted.
 */
import { isIP } from "node:net";
import { TextDecoder } from "node:util";
import { SaxesParser, type SaxesTagPlain } from "saxes";
import {
  DISPOSITIONS,
  PUBLISHED_POLICIES,
  newRow,
  rowKey,
  tallyAdd,
  type Disposition,
  type ParsedReport,
  type PolicyPublished,
  type PublishedPolicy,
  type ReportFormat,
  type SourceRow,
} from "./model";

/** A report that cannot be counted; the message says why. */
export class ReportError extends Error {
  override readonly name = "ReportError";
}

export const RFC9990_NAMESPACE = "urn:ietf:params:xml:ns:dmarc-2.0";

/** Longest text kept from one element (names, IDs, domains). */
export const MAX_FIELD_CHARS = 1024;
/** Largest `count` of one record: xs:integer in both schemas, 32 bits unsigned in practice. */
export const MAX_ROW_COUNT = 2 ** 32 - 1;
/** 2100-01-01T00:00:00Z: a later report timestamp is absurd. */
export const MAX_TIMESTAMP = 4_102_444_800;

/** RFC 8601 §2.7.1 and §2.7.2 results, plus the names RFC 7489 Appendix C notes for temperror/permerror. */
const AUTH_RESULTS = new Set(["none", "pass", "fail", "softfail", "policy", "neutral", "temperror", "permerror"]);
const AUTH_RESULT_ALIASES: Readonly<Record<string, string>> = { unknown: "temperror", error: "permerror" };
/** RFC 7489 and RFC 9990 `PolicyOverrideType`. */
const OVERRIDE_TYPES = new Set([
  "forwarded",
  "sampled_out",
  "trusted_forwarder",
  "mailing_list",
  "local_policy",
  "other",
  "policy_test_mode",
]);

// ---------------------------------------------------------------------------------------------------
// The elements read, as a tree of paths (everything else is skipped with its subtree).

type Spec = { readonly [name: string]: Spec | true };

/** The children of `<feedback>`. */
const SPEC: Spec = {
  version: true,
  report_metadata: {
    org_name: true,
    email: true,
    report_id: true,
    date_range: { begin: true, end: true },
    generator: true,
  },
  policy_published: {
    domain: true,
    adkim: true,
    aspf: true,
    p: true,
    sp: true,
    np: true,
    pct: true,
    fo: true,
    testing: true,
    discovery_method: true,
  },
  record: {
    row: {
      source_ip: true,
      count: true,
      policy_evaluated: { disposition: true, dkim: true, spf: true, reason: { type: true } },
    },
    identifiers: { header_from: true, envelope_from: true },
    auth_results: {
      dkim: { domain: true, selector: true, result: true },
      spf: { domain: true, scope: true, result: true },
    },
  },
};

/** Where a leaf's text goes. */
const META = 0;
const POLICY = 1;
const FIELD = 2;
const REASON = 3;
const ENTRY = 4;

/** `record`'s leaves (`policy_evaluated`, `identifiers`), by slot. */
const FIELDS = ["source_ip", "count", "disposition", "dkim", "spf", "header_from", "envelope_from"] as const;
type Field = (typeof FIELDS)[number];
const SOURCE_IP = 0;
const COUNT = 1;
const DISPOSITION = 2;
const DKIM = 3;
const SPF = 4;
const HEADER_FROM = 5;
const ENVELOPE_FROM = 6;
/** An `auth_results` entry's leaves by slot: domain, selector or scope, result. */
const ENTRY_DOMAIN = 0;
const ENTRY_SCOPE = 1;
const ENTRY_RESULT = 2;

/** Elements that start or end something besides a leaf. */
const PLAIN = 0;
const RECORD = 1;
const AUTH_DKIM = 2;
const AUTH_SPF = 3;
const METADATA = 4;

interface PathNode {
  /** `record/row/count`: the path below `<feedback>`. */
  readonly path: string;
  /** The element's name. */
  readonly name: string;
  readonly leaf: boolean;
  readonly children: ReadonlyMap<string, PathNode>;
  /** RECORD, AUTH_DKIM, ...: what opening and closing it does (PLAIN: nothing). */
  readonly kind: number;
  /** For a leaf: META, POLICY, FIELD, REASON or ENTRY. */
  readonly target: number;
  /** For a FIELD or ENTRY leaf: its slot. */
  readonly slot: number;
  /** For an ENTRY leaf: `auth_results/dkim` or `auth_results/spf`, for messages. */
  readonly within: string;
}

const KINDS: Readonly<Record<string, number>> = {
  record: RECORD,
  "record/auth_results/dkim": AUTH_DKIM,
  "record/auth_results/spf": AUTH_SPF,
  report_metadata: METADATA,
};

function buildNode(spec: Spec | true, path: string): PathNode {
  const children = new Map<string, PathNode>();
  if (spec !== true) {
    for (const [name, child] of Object.entries(spec)) {
      children.set(name, buildNode(child, path === "" ? name : `${path}/${name}`));
    }
  }
  const slash = path.lastIndexOf("/");
  const name = path.slice(slash + 1);
  let target = FIELD;
  let slot = FIELDS.indexOf(name as Field);
  if (path === "version" || path.startsWith("report_metadata/")) target = META;
  else if (path.startsWith("policy_published/")) target = POLICY;
  else if (path === "record/row/policy_evaluated/reason/type") target = REASON;
  else if (path.startsWith("record/auth_results/")) {
    target = ENTRY;
    slot = name === "domain" ? ENTRY_DOMAIN : name === "result" ? ENTRY_RESULT : ENTRY_SCOPE;
  }
  return {
    path,
    name,
    leaf: spec === true,
    children,
    kind: KINDS[path] ?? PLAIN,
    target,
    slot,
    within: path.slice(7, slash),
  };
}

const ROOT = buildNode(SPEC, "");

// ---------------------------------------------------------------------------------------------------

/** An `auth_results` entry: domain, selector (DKIM) or scope (SPF), result. */
type Entry = [string | undefined, string | undefined, string | undefined];

interface RecordDraft {
  readonly index: number;
  /** By slot (FIELDS). */
  readonly fields: (string | undefined)[];
  readonly reasons: string[];
  readonly dkim: Entry[];
  readonly spf: Entry[];
  /** The auth_results entry being read. */
  entry: Entry | undefined;
}

/** The namespace declarations in scope at an element. */
interface Scope {
  /** Prefix (`""` for the default namespace) → namespace name. */
  readonly names: ReadonlyMap<string, string>;
  /** Whether an unprefixed element here is in the root element's namespace (set once the root is read). */
  defaultIsRoot: boolean;
}

export interface ReportParserOptions {
  /** Deepest element nesting accepted. */
  readonly maxDepth: number;
  /**
   * Reports whose date range ends before this (seconds since the epoch) are not read past their
   * metadata: {@link ReportParser.end} returns `"before-since"`.
   */
  readonly since?: number;
}

/** Thrown from a handler to stop reading a report that ends before `since`. */
class SkipReport extends Error {}

/** The encoding label of a document: BOM, else the XML declaration, else UTF-8. */
function encodingOf(head: Uint8Array): string {
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return "utf-8";
  const start = Buffer.from(head.subarray(0, 256)).toString("latin1");
  return /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']/.exec(start)?.[1]?.toLowerCase() ?? "utf-8";
}

/**
 * Decoders by label, reused between documents: creating one costs more than decoding a 10 KB
 * report. A decoder is taken out while a document uses it and put back only after a clean flush.
 */
const DECODERS = new Map<string, TextDecoder>();

function takeDecoder(label: string): TextDecoder {
  const cached = DECODERS.get(label);
  if (cached !== undefined) {
    DECODERS.delete(label);
    return cached;
  }
  try {
    return new TextDecoder(label, { fatal: true });
  } catch {
    throw new ReportError(`the XML declares the encoding ${JSON.stringify(label)}, which is not supported`);
  }
}

/**
 * Results of a pure function of a string, remembered: the same source addresses and domains recur in
 * every record and report, and checking them again cost more than a tenth of a report's parse.
 * Bounded: emptied when full, so hostile input cannot grow it.
 */
function remembered<T>(compute: (text: string) => T): (text: string) => T {
  const known = new Map<string, T>();
  return (text) => {
    const hit = known.get(text);
    if (hit !== undefined || known.has(text)) return hit as T;
    if (known.size >= 4096) known.clear();
    const value = compute(text);
    known.set(text, value);
    return value;
  };
}

/** Lower-case IPv4 dotted quad or compressed IPv6, or undefined. */
export const canonicalIp = remembered(canonicalIpOf);

function canonicalIpOf(text: string): string | undefined {
  const kind = isIP(text);
  if (kind === 4) return text;
  if (kind !== 6 || text.includes("%")) return undefined;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** A domain name as reports write it: lower-case, without a trailing dot; undefined if it cannot be one. */
export const reportDomain = remembered(reportDomainOf);

function reportDomainOf(text: string): string | undefined {
  const name = text.toLowerCase().replace(/\.$/, "");
  // Names in reports are Punycode or UTF-8 (RFC 9990 §3.1.5); whitespace, controls and markup never.
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (name === "" || name.length > 253 || /[\s\x00-\x1f\x7f-\x9f<>"'\\/@]/.test(name)) return undefined;
  return name;
}

/** Keeps the first `<key>` of its kind; a second one is refused. */
function once(into: Map<string, string>, key: string, value: string, where: string): void {
  if (into.has(key)) throw new ReportError(`${where}<${key}> appears twice`);
  into.set(key, value);
}

const show = (value: string): string => JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);

function wholeNumber(value: string, max: number, what: string): number {
  if (!/^\d{1,13}$/.test(value) || Number(value) > max) {
    throw new ReportError(`${what} ${show(value)} is not a whole number from 0 to ${max}`);
  }
  return Number(value);
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  const lower = value.toLowerCase();
  const found = allowed.find((a) => a === lower);
  if (found === undefined) throw new ReportError(`${what} ${show(value)} is not one of ${allowed.join(", ")}`);
  return found;
}

/**
 * Feeds one report's bytes to saxes and builds the {@link ParsedReport}. `write` throws
 * {@link ReportError} as soon as the document is refused; `end` returns the report.
 */
export class ReportParser {
  private readonly sax = new SaxesParser({ xmlns: false });
  private decoder: TextDecoder | undefined;
  private encoding = "utf-8";
  /** The path node of each open element (null: skipped), by depth; `depth` of them are open. */
  private readonly nodes: (PathNode | null)[] = [];
  private depth = 0;
  /** The namespace scope at each depth: shared with the parent unless the element declares one. */
  private readonly scopes: Scope[] = [];
  /** Namespace declarations (`xmlns`, `xmlns:p`) among the attributes of the element being opened. */
  private declarations: [string, string][] | undefined;
  private rootNamespace = "";
  private text = "";
  private capturing: PathNode | null = null;
  private readonly meta = new Map<string, string>();
  private readonly policy = new Map<string, string>();
  private readonly rows = new Map<string, SourceRow>();
  private records = 0;
  private messages = 0;
  private record: RecordDraft | undefined;
  private closedRoot = false;
  private skipped = false;
  private readonly onText = (text: string): void => {
    this.addText(text);
  };

  constructor(private readonly options: ReportParserOptions) {
    this.sax.on("doctype", () => {
      throw new ReportError(
        "the document has a DOCTYPE: DMARC reports have none, and DTDs and entities are never processed here",
      );
    });
    // Attributes are rare in reports (the root's namespace): only declarations are kept.
    this.sax.on("attribute", (attribute) => {
      const name = attribute.name;
      if (name === "xmlns" || name.startsWith("xmlns:")) {
        (this.declarations ??= []).push([name === "xmlns" ? "" : name.slice(6), attribute.value]);
      }
    });
    this.sax.on("opentag", (tag) => {
      this.open(tag);
    });
    this.sax.on("closetag", () => {
      this.close();
    });
    this.sax.on("text", this.onText);
    this.sax.on("cdata", this.onText);
  }

  /** Whether the rest of the document need not be read (before `since`). */
  get done(): boolean {
    return this.skipped;
  }

  write(bytes: Uint8Array): void {
    if (this.skipped || bytes.length === 0) return;
    if (this.decoder === undefined) {
      this.encoding = encodingOf(bytes);
      this.decoder = takeDecoder(this.encoding);
    }
    this.feed(() => this.decoder?.decode(bytes, { stream: true }) ?? "");
  }

  end(): ParsedReport | "before-since" {
    if (this.skipped) return "before-since";
    this.feed(() => this.decoder?.decode() ?? "");
    // Flushed cleanly: the decoder is reset and can serve the next document.
    if (this.decoder !== undefined) DECODERS.set(this.encoding, this.decoder);
    this.decoder = undefined;
    this.guard(() => this.sax.close());
    // The date range may close only with the last bytes.
    if (this.skipped as boolean) return "before-since";
    if (!this.closedRoot) throw new ReportError("not a DMARC aggregate report: the document is empty");
    return this.finish();
  }

  private feed(text: () => string): void {
    let decoded: string;
    try {
      decoded = text();
    } catch {
      throw new ReportError(`the document is not valid ${this.decoder?.encoding ?? this.encoding}`);
    }
    this.guard(() => this.sax.write(decoded));
  }

  private guard(run: () => unknown): void {
    try {
      run();
    } catch (error) {
      if (error instanceof SkipReport) {
        this.skipped = true;
        return;
      }
      if (error instanceof ReportError) throw error;
      // saxes reports well-formedness errors as `<line>:<column>: <message>`.
      const message = error instanceof Error ? error.message : String(error);
      const at = /^(?:undefined:)?(\d+):(\d+): (.*?)\.?$/s.exec(message);
      throw new ReportError(
        `not well-formed XML: ${at === null ? message : `line ${at[1]}, column ${at[2]}: ${at[3] ?? ""}`}`,
      );
    }
  }

  /** The scope of an element at `depth`: its parent's, or a new one with its declarations. */
  private scopeFor(depth: number): Scope {
    const parent = depth === 0 ? undefined : this.scopes[depth - 1];
    const declarations = this.declarations;
    if (declarations === undefined) return parent ?? { names: new Map(), defaultIsRoot: true };
    this.declarations = undefined;
    const names = new Map(parent?.names);
    for (const [prefix, name] of declarations) names.set(prefix, name);
    return { names, defaultIsRoot: (names.get("") ?? "") === this.rootNamespace };
  }

  private open(tag: SaxesTagPlain): void {
    const depth = this.depth;
    if (depth >= this.options.maxDepth) {
      throw new ReportError(`elements are nested more than ${this.options.maxDepth} deep`);
    }
    const scope = this.scopeFor(depth);
    this.scopes[depth] = scope;
    this.depth = depth + 1;
    const name = tag.name;
    const colon = name.indexOf(":");
    const local = colon < 0 ? name : name.slice(colon + 1);
    if (depth === 0) {
      if (local !== "feedback") {
        throw new ReportError(`not a DMARC aggregate report: the root element is <${name.slice(0, 64)}>`);
      }
      const prefix = colon < 0 ? "" : name.slice(0, colon);
      this.rootNamespace = scope.names.get(prefix) ?? "";
      // The root's scope is its own object (or the initial one), so setting this here is safe.
      this.scopes[0] = { names: scope.names, defaultIsRoot: (scope.names.get("") ?? "") === this.rootNamespace };
      this.nodes[0] = ROOT;
      return;
    }
    const parent = this.nodes[depth - 1] ?? null;
    // Elements of another namespace are extensions (RFC 9990 §5): skipped with their content.
    const inRoot = colon < 0 ? scope.defaultIsRoot : scope.names.get(name.slice(0, colon)) === this.rootNamespace;
    const node = parent === null || !inRoot ? null : (parent.children.get(local) ?? null);
    this.nodes[depth] = node;
    if (node === null) return;
    if (node.leaf) {
      this.capturing = node;
      this.text = "";
      return;
    }
    switch (node.kind) {
      case RECORD:
        this.records++;
        this.record = {
          index: this.records,
          fields: [undefined, undefined, undefined, undefined, undefined, undefined, undefined],
          reasons: [],
          dkim: [],
          spf: [],
          entry: undefined,
        };
        break;
      case AUTH_DKIM:
      case AUTH_SPF:
        if (this.record !== undefined) this.record.entry = [undefined, undefined, undefined];
        break;
    }
  }

  private addText(text: string): void {
    if (this.capturing === null || this.capturing !== this.nodes[this.depth - 1]) return;
    this.text += text;
    if (this.text.length > MAX_FIELD_CHARS) {
      throw new ReportError(`<${this.capturing.path}> is longer than ${MAX_FIELD_CHARS} characters`);
    }
  }

  private close(): void {
    const depth = --this.depth;
    const node = this.nodes[depth] ?? null;
    if (depth === 0) this.closedRoot = true;
    if (node === null) return;
    if (node.leaf) {
      this.capturing = null;
      this.leaf(node, this.text.trim());
      return;
    }
    switch (node.kind) {
      case METADATA:
        this.checkDates();
        break;
      case RECORD:
        this.endRecord();
        break;
      case AUTH_DKIM:
        if (this.record?.entry !== undefined) this.record.dkim.push(this.record.entry);
        break;
      case AUTH_SPF:
        if (this.record?.entry !== undefined) this.record.spf.push(this.record.entry);
        break;
    }
  }

  private leaf(node: PathNode, value: string): void {
    switch (node.target) {
      case META:
        once(this.meta, node.name, value, node.path === "version" ? "" : "report_metadata: ");
        return;
      case POLICY:
        once(this.policy, node.name, value, "policy_published: ");
        return;
    }
    const record = this.record;
    if (record === undefined) return;
    switch (node.target) {
      case REASON:
        record.reasons.push(value);
        return;
      case ENTRY: {
        const entry = record.entry;
        if (entry === undefined) return;
        if (entry[node.slot] !== undefined) {
          throw new ReportError(`record ${record.index}: ${node.within} <${node.name}> appears twice`);
        }
        entry[node.slot] = value;
        return;
      }
      default:
        if (record.fields[node.slot] !== undefined) {
          throw new ReportError(`record ${record.index}: <${node.name}> appears twice`);
        }
        record.fields[node.slot] = value;
    }
  }

  private checkDates(): void {
    const begin = this.meta.get("begin");
    const end = this.meta.get("end");
    if (begin === undefined || end === undefined) {
      throw new ReportError("report_metadata: <date_range> needs <begin> and <end>");
    }
    const b = wholeNumber(begin, MAX_TIMESTAMP, "report_metadata: date_range begin");
    const e = wholeNumber(end, MAX_TIMESTAMP, "report_metadata: date_range end");
    if (e < b) throw new ReportError(`report_metadata: date_range ends (${e}) before it begins (${b})`);
    if (this.options.since !== undefined && e < this.options.since) throw new SkipReport();
  }

  private endRecord(): void {
    const record = this.record;
    this.record = undefined;
    if (record === undefined) return;
    const fields = record.fields;
    const need = (slot: number): string => {
      const value = fields[slot];
      if (value === undefined || value === "") {
        throw new ReportError(`record ${record.index}: <${FIELDS[slot] ?? ""}> is missing`);
      }
      return value;
    };
    const where = (): string => `record ${record.index}: `;
    const ipText = need(SOURCE_IP);
    const ip = canonicalIp(ipText);
    if (ip === undefined) throw new ReportError(`${where()}source_ip ${show(ipText)} is not an IPv4 or IPv6 address`);
    const count = wholeNumber(need(COUNT), MAX_ROW_COUNT, `${where()}count`);
    const disposition: Disposition = oneOf(need(DISPOSITION), DISPOSITIONS, `${where()}disposition`);
    const aligned = (slot: number, name: "dkim" | "spf"): boolean => {
      const value = need(slot).toLowerCase();
      if (value === "pass") return true;
      // policy_evaluated carries pass or fail; a raw result (softfail, none, ...) is a failed alignment.
      if (value === "fail" || AUTH_RESULTS.has(value) || value in AUTH_RESULT_ALIASES) return false;
      throw new ReportError(`${where()}policy_evaluated ${name} ${show(value)} is not pass or fail`);
    };
    const dkimAligned = aligned(DKIM, "dkim");
    const spfAligned = aligned(SPF, "spf");
    const headerFromText = need(HEADER_FROM);
    const headerFrom = reportDomain(headerFromText);
    if (headerFrom === undefined) {
      throw new ReportError(`${where()}header_from ${show(headerFromText)} is not a domain`);
    }
    const key = rowKey(ip, disposition, spfAligned, dkimAligned);
    let row = this.rows.get(key);
    if (row === undefined) {
      row = newRow(ip, disposition, spfAligned, dkimAligned);
      this.rows.set(key, row);
    }
    row.count += count;
    this.messages += count;
    tallyAdd(row.headerFrom, headerFrom, count);
    const envelope = fields[ENVELOPE_FROM];
    // An empty envelope_from is a null reverse-path (RFC 9990 §3.1.9).
    if (envelope !== undefined) tallyAdd(row.envelopeFrom, reportDomain(envelope) ?? "", count);
    for (const reason of record.reasons) {
      const type = reason.toLowerCase();
      tallyAdd(row.reasons, OVERRIDE_TYPES.has(type) ? type : "other", count);
    }
    for (const entry of record.dkim) {
      const domain = reportDomain(entry[ENTRY_DOMAIN] ?? "") ?? "";
      const selector = (entry[ENTRY_SCOPE] ?? "").toLowerCase();
      tallyAdd(row.dkim, `${domain}\0${selector}\0${authResult(entry, `${where()}dkim result`)}`, count);
    }
    for (const entry of record.spf) {
      const domain = reportDomain(entry[ENTRY_DOMAIN] ?? "") ?? "";
      const scope = (entry[ENTRY_SCOPE] ?? "").toLowerCase();
      tallyAdd(row.spf, `${domain}\0${scope}\0${authResult(entry, `${where()}spf result`)}`, count);
    }
  }

  private finish(): ParsedReport {
    const need = (from: Map<string, string>, name: string, where: string): string => {
      const value = from.get(name);
      if (value === undefined || value === "") {
        throw new ReportError(`not a DMARC aggregate report: ${where}<${name}> is missing`);
      }
      return value;
    };
    const org = need(this.meta, "org_name", "report_metadata: ");
    const reportId = need(this.meta, "report_id", "report_metadata: ");
    if (!this.meta.has("begin")) throw new ReportError("not a DMARC aggregate report: <report_metadata> is missing");
    const domainText = need(this.policy, "domain", "policy_published: ");
    const domain = reportDomain(domainText);
    if (domain === undefined) throw new ReportError(`policy_published: domain ${show(domainText)} is not a domain`);
    const policy: { -readonly [K in keyof PolicyPublished]: PolicyPublished[K] } = {
      domain,
      p: oneOf(need(this.policy, "p", "policy_published: "), PUBLISHED_POLICIES, "policy_published: p"),
    };
    const optional = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
      const value = this.policy.get(name);
      return value === undefined || value === "" ? undefined : oneOf(value, allowed, `policy_published: ${name}`);
    };
    const sp: PublishedPolicy | undefined = optional("sp", PUBLISHED_POLICIES);
    if (sp !== undefined) policy.sp = sp;
    const np: PublishedPolicy | undefined = optional("np", PUBLISHED_POLICIES);
    if (np !== undefined) policy.np = np;
    const adkim = optional("adkim", ["r", "s"] as const);
    if (adkim !== undefined) policy.adkim = adkim;
    const aspf = optional("aspf", ["r", "s"] as const);
    if (aspf !== undefined) policy.aspf = aspf;
    const testing = optional("testing", ["y", "n"] as const);
    if (testing !== undefined) policy.testing = testing;
    const discovery = optional("discovery_method", ["psl", "treewalk"] as const);
    if (discovery !== undefined) policy.discoveryMethod = discovery;
    const pct = this.policy.get("pct");
    if (pct !== undefined && pct !== "") policy.pct = wholeNumber(pct, 100, "policy_published: pct");
    const fo = this.policy.get("fo");
    if (fo !== undefined && fo !== "") policy.fo = fo;
    const format: ReportFormat =
      this.rootNamespace === RFC9990_NAMESPACE ? "rfc9990" : this.meta.has("version") ? "rfc7489" : "draft";
    const generator = this.meta.get("generator");
    return {
      format,
      org,
      reportId,
      begin: Number(this.meta.get("begin")),
      end: Number(this.meta.get("end")),
      ...(generator === undefined || generator === "" ? {} : { generator }),
      policy,
      messages: this.messages,
      rows: [...this.rows.values()],
    };
  }
}

function authResult(entry: Entry, what: string): string {
  const value = (entry[ENTRY_RESULT] ?? "").toLowerCase();
  const result = AUTH_RESULT_ALIASES[value] ?? value;
  if (!AUTH_RESULTS.has(result)) throw new ReportError(`${what} ${show(value)} is not an RFC 8601 result`);
  return result;
}

/** Parses a whole document held in memory (tests, benchmarks). */
export function parseReportBytes(bytes: Uint8Array, options: ReportParserOptions): ParsedReport | "before-since" {
  const parser = new ReportParser(options);
  parser.write(bytes);
  return parser.end();
}
