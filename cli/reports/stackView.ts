/**
 * What the reports join needs to know about a stack, and nothing more. The join and the
 * recommendation depend only on {@link StackView}; {@link stackViewOf} is the one place that reads
 * the validated stack model, so a reorganised config module changes this adapter alone.
 */
import type { DkimStatus, DmarcAlignment, DmarcPolicy, SenderAuthConfig } from "../../components/model";

export interface StackView {
  readonly stack: string;
  readonly domain: string;
  /** Undefined when the stack publishes no DMARC record of its own. */
  readonly dmarc:
    | {
        readonly policy: DmarcPolicy;
        readonly subdomainPolicy: DmarcPolicy | undefined;
        readonly testing: boolean;
        readonly percent: number | undefined;
        readonly alignmentSPF: DmarcAlignment | undefined;
        readonly alignmentDKIM: DmarcAlignment | undefined;
        readonly rua: readonly string[];
      }
    | undefined;
  readonly spf:
    | { readonly include: readonly string[]; readonly ip4: readonly string[]; readonly ip6: readonly string[] }
    | undefined;
  readonly selectors: readonly {
    readonly name: string;
    readonly status: DkimStatus;
    readonly cname: string | undefined;
  }[];
  /** A parked domain sends no mail (and publishes p=reject). */
  readonly parked: boolean;
}

/** The view of one validated stack. */
export function stackViewOf(stack: string, config: SenderAuthConfig): StackView {
  const { dmarc, spf, dkim } = config;
  return {
    stack,
    domain: config.domain,
    dmarc:
      dmarc === undefined
        ? config.parked
          ? {
              policy: "reject",
              subdomainPolicy: "reject",
              testing: false,
              percent: undefined,
              alignmentSPF: undefined,
              alignmentDKIM: undefined,
              rua: [],
            }
          : undefined
        : {
            policy: dmarc.policy,
            subdomainPolicy: dmarc.subdomainPolicy,
            testing: dmarc.testing,
            percent: dmarc.percent,
            alignmentSPF: dmarc.alignmentSPF,
            alignmentDKIM: dmarc.alignmentDKIM,
            rua: dmarc.rua,
          },
    spf: spf === undefined ? undefined : { include: spf.include, ip4: spf.ip4, ip6: spf.ip6 },
    selectors: (dkim?.selectors ?? []).map((s) => ({ name: s.name, status: s.status, cname: s.cname })),
    parked: config.parked,
  };
}
