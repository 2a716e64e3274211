/**
 * `check --planned` (issue #12): the records the checked stacks' plans will have their providers
 * serve after `pulumi up`, which questions they answer, and each answer.
 *
 * Which questions are the plan's: the record sets the plan publishes (e.g. the apex TXT set, which
 * on Route53 carries `preserveTxt` too), and every name at or under `_dmarc.<domain>` and
 * `_domainkey.<domain>`, the namespaces sender-auth alone writes to: a selector or DMARC record the
 * plan does not publish answers NXDOMAIN or NODATA, as it will after `up`, however stale the live
 * zone. Everything else (includes, report destinations, CNAME targets, the apex's A and MX records
 * that an SPF `a` or `mx` term asks for, which `up` never touches) is asked where a live check asks.
 */
import type { QueryType } from "./dnsClient";
import type { ServedRecord } from "../../components/providers/types";

/** One stack's part: its domain and what its provider will serve. */
export interface PlannedStack {
  readonly domain: string;
  readonly served: readonly ServedRecord[];
}

/** The answer of the planned zones to one question. */
export interface PlannedAnswer {
  /** REFUSED: not a question of the plan's (see PlannedZones.owns). */
  readonly rcode: "NOERROR" | "NXDOMAIN" | "REFUSED";
  /** The answer section: a CNAME chain within the plan, then the records of the asked type. */
  readonly answers: readonly ServedRecord[];
  /** The stack domain whose namespace the name is in (the owner of the SOA of a negative answer). */
  readonly zone: string | undefined;
}

/** CNAME hops followed within the plan, as resolvers bound theirs (BIND follows 16). */
export const MAX_CNAME_HOPS = 8;

const canonical = (name: string): string => name.toLowerCase().replace(/\.$/, "");
const parentOf = (name: string): string | undefined => {
  const dot = name.indexOf(".");
  return dot < 0 ? undefined : name.slice(dot + 1);
};
const isAtOrUnder = (name: string, root: string): boolean => name === root || name.endsWith(`.${root}`);

export class PlannedZones {
  /** name → type → records. */
  private readonly sets = new Map<string, Map<string, ServedRecord[]>>();
  /** Every name with records, and every name between one and its stack's domain (empty non-terminals). */
  private readonly existing = new Set<string>();
  /** `_dmarc.<domain>` and `_domainkey.<domain>` of every stack. */
  private readonly namespaces: string[] = [];
  private readonly domains: string[];

  constructor(stacks: readonly PlannedStack[]) {
    this.domains = stacks.map((stack) => canonical(stack.domain));
    for (const stack of stacks) {
      const domain = canonical(stack.domain);
      this.namespaces.push(`_dmarc.${domain}`, `_domainkey.${domain}`);
      for (const record of stack.served) {
        const name = canonical(record.name);
        let types = this.sets.get(name);
        if (types === undefined) {
          types = new Map<string, ServedRecord[]>();
          this.sets.set(name, types);
        }
        types.set(record.type, [...(types.get(record.type) ?? []), { ...record, name }]);
        for (let at: string | undefined = name; at !== undefined && isAtOrUnder(at, domain); at = parentOf(at)) {
          this.existing.add(at);
        }
      }
    }
  }

  /**
   * Whether a question is the plan's to answer: a record set the plan publishes, any question at a
   * name (other than a stack's apex) where it publishes records, and any at or under a stack's
   * `_dmarc` and `_domainkey` names.
   */
  owns(name: string, type: QueryType): boolean {
    const asked = canonical(name);
    const types = this.sets.get(asked);
    if (types?.has(type) === true) return true;
    if (types !== undefined && !this.domains.includes(asked)) return true;
    return this.namespaces.some((root) => isAtOrUnder(asked, root));
  }

  /** The stack domain whose namespace `name` is in: the longest that it is at or under. */
  private zoneOf(name: string): string | undefined {
    return this.domains.filter((domain) => isAtOrUnder(name, domain)).sort((a, b) => b.length - a.length)[0];
  }

  /**
   * The answer to `name`/`type`, as an authoritative server for these records gives it (RFC 1034
   * §4.3.2): the records; a CNAME, followed while its target is the plan's; a wildcard's records
   * where no name exists (RFC 4592); NODATA at an existing name; NXDOMAIN; REFUSED when not the plan's.
   */
  answer(name: string, type: QueryType): PlannedAnswer {
    const asked = canonical(name);
    if (!this.owns(asked, type)) return { rcode: "REFUSED", answers: [], zone: undefined };
    const chain: ServedRecord[] = [];
    let current = asked;
    for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
      const zone = this.zoneOf(current);
      const types = this.sets.get(current) ?? (this.existing.has(current) ? undefined : this.wildcard(current));
      const records = types?.get(type);
      if (records !== undefined) {
        return { rcode: "NOERROR", answers: [...chain, ...records.map((r) => ({ ...r, name: current }))], zone };
      }
      const alias = type === "CNAME" ? undefined : types?.get("CNAME")?.[0];
      if (alias === undefined) {
        const exists = types !== undefined || this.existing.has(current);
        return { rcode: exists ? "NOERROR" : "NXDOMAIN", answers: chain, zone };
      }
      chain.push({ ...alias, name: current });
      current = canonical(String(alias.data));
      // A target outside the plan is the asker's to follow, as after `up` a resolver does.
      if (!this.owns(current, type)) return { rcode: "NOERROR", answers: chain, zone };
    }
    return { rcode: "NOERROR", answers: chain, zone: this.zoneOf(asked) };
  }

  /** The record sets a wildcard synthesises at `name`, which does not exist (RFC 4592 §3.3.1). */
  private wildcard(name: string): Map<string, ServedRecord[]> | undefined {
    let encloser = parentOf(name);
    while (encloser !== undefined && !this.existing.has(encloser)) encloser = parentOf(encloser);
    return encloser === undefined ? undefined : this.sets.get(`*.${encloser}`);
  }
}
