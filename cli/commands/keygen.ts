/**
 * `sender-auth keygen <stack>`: generates a DKIM key pair and stores it in the stack's config through
 * the Pulumi CLI: the private key as a secret read from standard input, the public key and metadata in
 * plain text so plan and pull-request diffs work without decrypting anything.
 */
import { Option, type Command } from "commander";
import {
  DEFAULT_KEY_TYPE,
  generateDkimKey,
  KEY_TYPES,
  WEAK_KEY_TYPES,
  type GeneratedKey,
  type KeyType,
} from "../../components/dkimKeys";
import { buildDkimValue, dkimRecordName, inspectDkimPublicKey } from "../../components/records/dkim";
import { type CommandContext, inputErrorCode, EXIT_OK, type Io } from "../io";
import { checkStackName, loadProject, UsageError, type Project } from "../project";
import { type PulumiCli } from "../pulumiCli";
import { editErrorCode, editStack, type ConfigChange } from "../stackEdit";
import {
  checkNewSelector,
  isoDate,
  nextSelectorName,
  readStackKeys,
  selectorPath,
  stackKeysOf,
  usedSelectorNames,
  type StackKeys,
} from "../stackKeys";

export const KEYGEN_STATUSES = ["published", "active"] as const;
export type KeygenStatus = (typeof KEYGEN_STATUSES)[number];

export interface AddSelectorRequest {
  readonly stack: string;
  readonly selector: string;
  readonly keyType: KeyType;
  readonly status: KeygenStatus;
  readonly now: Date;
}

export interface AddedSelector {
  readonly selector: string;
  readonly key: GeneratedKey;
  readonly createdAt: string;
  readonly status: KeygenStatus;
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

/** What a new selector means and what to do next, for stdout. */
export function describeAddedSelector(
  stack: string,
  domain: string | undefined,
  added: AddedSelector,
  status: KeygenStatus,
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
    "next:",
    `  1. review: npx sender-auth plan ${stack}`,
    "  2. commit the stack file and open a pull request",
    `  3. after review: pulumi up --stack ${stack}`,
    status === "published"
      ? `  4. once DNS serves ${name} (wait at least the record TTL), make it active: npx sender-auth rotate ${stack}`
      : `  4. give your signer the key: npx sender-auth export ${stack} --selector ${selector} --format pem`,
  ].join("\n");
}

export interface KeygenOptions {
  readonly stack: string;
  readonly selector: string | undefined;
  readonly keyType: KeyType;
  readonly status: KeygenStatus;
  readonly allowWeak: boolean;
  readonly cwd: string;
  readonly now: Date;
}

function warnings(keys: StackKeys, keyType: KeyType): string[] {
  const out: string[] = [];
  if (WEAK_KEY_TYPES.includes(keyType)) {
    out.push(
      `${keyType} is below the 2048 bits RFC 8301 §3.2 says signers SHOULD use; some receivers treat such signatures as failing`,
    );
  }
  const hasRsa = keys.selectors.some(
    (s) => s.algorithm === "rsa" && s.publicKey !== undefined && s.status !== "revoked",
  );
  if (keyType === "ed25519" && !hasRsa) {
    out.push(
      "an Ed25519 selector needs an RSA selector beside it: many receivers verify only RSA (RFC 8463), so sign with both; add one with --algorithm rsa-2048",
    );
  }
  return out;
}

export async function keygen(options: KeygenOptions, io: Io, pulumi?: PulumiCli): Promise<number> {
  let project: Project;
  try {
    checkStackName(options.stack);
    if (WEAK_KEY_TYPES.includes(options.keyType) && !options.allowWeak) {
      throw new UsageError(
        `--algorithm ${options.keyType} needs --allow-weak: RFC 8301 §3.2 says signers SHOULD use at least 2048 bits`,
      );
    }
    project = loadProject(options.cwd);
    // Refuse what can be refused before taking the lock; decided again under it.
    const keys = readStackKeys(project, options.stack);
    if (options.selector !== undefined) checkNewSelector(options.selector, keys);
  } catch (error) {
    return inputErrorCode(io, error);
  }
  let added: AddedSelector;
  let domain: string | undefined;
  try {
    ({ added, domain } = await editStack(
      { project, stack: options.stack, command: "sender-auth keygen", io, ...(pulumi === undefined ? {} : { pulumi }) },
      async (edit) => {
        const keys = stackKeysOf(edit.config);
        const selector = options.selector ?? nextSelectorName(usedSelectorNames(keys), options.now);
        checkNewSelector(selector, keys);
        for (const warning of warnings(keys, options.keyType)) io.stderr.write(`warning: ${warning}\n`);
        await edit.pulumi.checkStack(options.stack);
        const result = await addSelector(edit.pulumi, {
          stack: options.stack,
          selector,
          keyType: options.keyType,
          status: options.status,
          now: options.now,
        });
        await edit.verify(addedChanges(result), [selector]);
        return { added: result, domain: keys.domain };
      },
    ));
  } catch (error) {
    return editErrorCode(io, error);
  }
  io.stdout.write(`${describeAddedSelector(options.stack, domain, added, options.status)}\n`);
  return EXIT_OK;
}

export function register(program: Command, { io, finish, now }: CommandContext): void {
  program
    .command("keygen")
    .description("generate a DKIM key pair into the stack's config (private key as a Pulumi secret)")
    .argument("<stack>", "stack name (stacks/Pulumi.<stack>.yaml)")
    .option("--selector <name>", "selector name (default: derived from the date, e.g. s202611a)")
    .addOption(new Option("--algorithm <type>", "key type").choices(KEY_TYPES).default(DEFAULT_KEY_TYPE))
    .addOption(new Option("--status <status>", "initial status").choices(KEYGEN_STATUSES).default("published"))
    .option("--allow-weak", "allow rsa-1024 (RFC 8301: SHOULD be at least 2048 bits)", false)
    .action(
      async (
        stack: string,
        opts: { selector?: string; algorithm: KeyType; status: KeygenStatus; allowWeak: boolean },
      ) => {
        finish(
          await keygen(
            {
              stack,
              selector: opts.selector,
              keyType: opts.algorithm,
              status: opts.status,
              allowWeak: opts.allowWeak,
              cwd: process.cwd(),
              now: now(),
            },
            io,
          ),
        );
      },
    );
}
