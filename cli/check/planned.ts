/**
 * `check --planned` (issue #12): verify a change before `pulumi up`. The checked stacks' plans (what
 * `sender-auth plan` computes for the working tree, through the same mock runtime) are served by an
 * in-process DNS server (plannedServer.ts) for the questions that are the plan's (PlannedZones.owns);
 * every other question goes where a live check sends it. The check itself is the live check, with
 * this routing as its DNS client: same findings, same exit codes.
 */
import type { SenderAuthConfig } from "../../components/model";
import { providerFor } from "../../components/providers";
import type { StackPlan } from "../mockRun";
import { query, type DnsClient, type DnsResponse, type QueryFunction } from "./dnsClient";
import { MAX_CNAME_HOPS, PlannedZones } from "./plannedZones";
import { startPlannedServer, type PlannedServer } from "./plannedServer";

const canonical = (name: string): string => name.toLowerCase().replace(/\.$/, "");

/**
 * A DNS client that asks `planned` the plan's questions (without recursion: it is authoritative)
 * and sends every other one on to the server it was meant for. A CNAME from the plan to a name
 * outside it (an email provider's key) is followed there, as a resolver follows it after `up`.
 */
export function plannedQuery(zones: PlannedZones, planned: PlannedServer, send: QueryFunction = query): QueryFunction {
  return async (server, name, type, options = {}) => {
    if (!zones.owns(name, type)) return send(server, name, type, options);
    let response = await send(planned, name, type, { ...options, recursion: false });
    // Who gave the last answer: a resolver follows a chain as far as it goes by itself.
    let fromResolver = false;
    for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
      if (type === "CNAME" || response.rcode !== "NOERROR" || response.records.length > 0) break;
      const alias = response.answers.filter((a) => a.type === "CNAME").at(-1);
      if (alias === undefined) break;
      const target = canonical(String(alias.data));
      const owned = zones.owns(target, type);
      if (!owned && fromResolver) break;
      const next: DnsResponse = owned
        ? await send(planned, target, type, { ...options, recursion: false })
        : await send(server, target, type, options);
      response = {
        rcode: next.rcode,
        answers: [...response.answers, ...next.answers],
        records: next.records,
        octets: response.octets + next.octets,
        ...(next.negativeTtl === undefined ? {} : { negativeTtl: next.negativeTtl }),
      };
      fromResolver = !owned;
    }
    return response;
  };
}

/** The planned records, served; `server.close()` when done. */
export interface PlannedCheck {
  readonly zones: PlannedZones;
  readonly server: PlannedServer;
  /** The check's DNS client: the plan's questions to `server`, the rest over the network. */
  readonly dns: DnsClient;
}

/** Serves the planned records of `plans`, each with its stack's validated config. */
export async function startPlanned(
  plans: readonly { readonly plan: StackPlan; readonly config: SenderAuthConfig }[],
): Promise<PlannedCheck> {
  const zones = new PlannedZones(
    plans.map(({ plan, config }) => ({
      domain: plan.domain,
      served: providerFor(plan.provider).served(plan.resources, config),
    })),
  );
  const server = await startPlannedServer(zones);
  return { zones, server, dns: { query: plannedQuery(zones, server) } };
}
