/**
 * A new DKIM selector in a stack's config, as keygen and each rotation's first step add one: the key
 * pair generated in process, the private key written as a secret through standard input, the public
 * key and its metadata in plain text (so plan and pull-request diffs need no decryption), and what
 * it means and what to do next, for stdout.
 */
import { generateDkimKey, type GeneratedKey, type KeyType } from "../components/sections/dkim/keys";
import { buildDkimValue, dkimRecordName, inspectDkimPublicKey } from "../components/sections/dkim/records";
import { nextLines, reviewSteps } from "./nextSteps";
import { type PulumiCli } from "./pulumiCli";
import { type ConfigChange } from "./stackEdit";
import { isoDate, selectorPath } from "./stackKeys";

/** The statuses a new selector starts with: published (DNS first, signing later) or active at once. */
export const NEW_SELECTOR_STATUSES = ["published", "active"] as const;
export type NewSelectorStatus = (typeof NEW_SELECTOR_STATUSES)[number];

export interface AddSelectorRequest {
  readonly stack: string;
  readonly selector: string;
  readonly keyType: KeyType;
  readonly status: NewSelectorStatus;
  readonly now: Date;
}

export interface AddedSelector {
  readonly selector: string;
  readonly key: GeneratedKey;
  readonly createdAt: string;
  readonly status: NewSelectorStatus;
}

/**
 * Generates a key and writes it: first the private key (secret, on stdin), then the public values in
 * one `set-all`. Run inside editStack (cli/stackEdit.ts), which restores the stack file if anything
 * after the first write fails, so nothing half-written stays behind.
 */
export async function addSelector(pulumi: PulumiCli, request: AddSelectorRequest): Promise<AddedSelector> {
  const { stack, selector } = request;
  const key = generateDkimKey(request.keyType);
  const createdAt = isoDate(request.now);
  await pulumi.setSecret(stack, selectorPath(selector, "privateKey"), key.privateKeyPem);
  await pulumi.setPlain(stack, {
    [selectorPath(selector, "publicKey")]: key.publicKey,
    [selectorPath(selector, "algorithm")]: key.algorithm,
    [selectorPath(selector, "status")]: request.status,
    [selectorPath(selector, "createdAt")]: createdAt,
  });
  return { selector, key, createdAt, status: request.status };
}

/** The changes addSelector makes, for StackEdit.verify. */
export function addedChanges(added: AddedSelector): ConfigChange[] {
  const at = (field: string): string[] => ["dkim", "selectors", added.selector, field];
  return [
    { path: at("privateKey"), secret: true },
    { path: at("publicKey"), value: added.key.publicKey },
    { path: at("algorithm"), value: added.key.algorithm },
    { path: at("status"), value: added.status },
    { path: at("createdAt"), value: added.createdAt },
  ];
}

/** What a new selector means and what to do next (with `plan --write` when the project keeps `snapshots`), for stdout. */
export function describeAddedSelector(
  stack: string,
  domain: string | undefined,
  added: AddedSelector,
  status: NewSelectorStatus,
  snapshots: boolean,
): string {
  const { key, selector } = added;
  const inspection = inspectDkimPublicKey(key.algorithm, key.publicKey);
  const fingerprint = inspection.ok ? inspection.info.fingerprint : "";
  const name = dkimRecordName(selector, domain ?? "<domain>");
  return [
    `added selector ${selector} to stack ${stack}: ${key.algorithm === "rsa" ? `RSA ${key.bits}` : "Ed25519"}, status ${status}, created ${added.createdAt}`,
    `  public key SHA-256 ${fingerprint}`,
    `  record: ${name} TXT "${buildDkimValue(key.algorithm, key.publicKey)}"`,
    "  the private key is stored as a secret in the stack config (never printed)",
    ...nextLines([
      ...reviewSteps(stack, snapshots),
      status === "published"
        ? `once DNS serves ${name} (wait at least the record TTL), make it active: npx sender-auth rotate ${stack}`
        : `give your signer the key: npx sender-auth export ${stack} --selector ${selector} --format pem`,
    ]),
  ].join("\n");
}
