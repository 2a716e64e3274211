/**
 * DMARC policies as they are applied, and the ladder from none to reject that `reports` walks.
 */
import type { DmarcPolicy } from "../../components/model";
import type { StackView } from "./stackView";

/** A DMARC policy as it is applied: `p`, `sp`, `t=y` and `pct`. */
export interface PolicyState {
  readonly p: DmarcPolicy;
  /** Null when `sp` is not published (subdomains follow `p`). */
  readonly sp: DmarcPolicy | null;
  readonly testing: boolean;
  /** Null when `pct` is not published (100). */
  readonly pct: number | null;
}

const RAISE: Readonly<Record<DmarcPolicy, DmarcPolicy>> = {
  none: "quarantine",
  quarantine: "reject",
  reject: "reject",
};

export function policyOf(view: StackView): PolicyState | null {
  if (view.dmarc === undefined) return null;
  return {
    p: view.dmarc.policy,
    sp: view.dmarc.subdomainPolicy ?? null,
    testing: view.dmarc.testing,
    pct: view.dmarc.percent ?? null,
  };
}

/** `p=quarantine; sp=quarantine; pct=10`, as the policy would be written. */
export function describePolicy(state: PolicyState): string {
  return [
    `p=${state.p}`,
    ...(state.sp === null ? [] : [`sp=${state.sp}`]),
    ...(state.testing ? ["t=y"] : []),
    ...(state.pct === null ? [] : [`pct=${state.pct}`]),
  ].join("; ");
}

/**
 * The next step on the ladder none → quarantine → reject. A policy softened by `t=y` (RFC 9989:
 * reject acts as quarantine, quarantine as none) or by `pct` below 100 (RFC 7489 §6.6.4: the rest
 * get the next policy down) first goes to full strength. `sp` set equal to `p` moves with it; an
 * `sp` set otherwise stays, and is raised once `p` is at reject.
 */
export function nextPolicy(state: PolicyState): PolicyState | null {
  const softened = state.testing || (state.pct !== null && state.pct < 100);
  if (softened && state.p !== "none") return { p: state.p, sp: state.sp, testing: false, pct: null };
  if (state.p !== "reject") {
    return { p: RAISE[state.p], sp: state.sp === state.p ? RAISE[state.p] : state.sp, testing: false, pct: null };
  }
  if (state.sp !== null && state.sp !== "reject") {
    return { p: "reject", sp: RAISE[state.sp], testing: false, pct: null };
  }
  return null;
}
