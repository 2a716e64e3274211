// The Pulumi program for one domain's stack (`pulumi up --stack <name>`); see components/program.ts.
import { senderAuthProgram } from "./components/program";

const program = senderAuthProgram();

/** The policy domain. */
export const domain = program.domain;
/** The DNS provider the records live on. */
export const provider = program.provider;
/** The zone (Cloudflare zone ID or Route53 hosted zone ID). */
export const zoneId = program.zoneId;
/** Every record this stack publishes: { name, type, ttl, value, purpose, selector? }. */
export const records = program.records;
/** Valid-but-risky settings in this stack's config. */
export const warnings = program.warnings;
/** Selector inventory (not secret): selector, status, algorithm, bits, fingerprint, createdAt, ageDays. */
export const dkimSelectors = program.dkimSelectors;
/** Secret: active selector → private key PEM (`pulumi stack output signingKeys --show-secrets`). */
export const signingKeys = program.signingKeys;
