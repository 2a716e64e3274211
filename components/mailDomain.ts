/** The one component a stack creates: a domain's SPF, DKIM and DMARC records on its DNS provider. */
import * as pulumi from "@pulumi/pulumi";
import type { ValidatedStack } from "./config";
import { publishedRecord, type PublishedRecord } from "./model";
import { providerFor } from "./providers";

const TYPE = "sender-auth:index:MailDomain";

export interface MailDomainArgs {
  /**
   * The validated stack configuration (see `validateStack`). Plain data, not `Input`s: it decides which
   * records exist, and an Output cannot decide what gets constructed.
   */
  readonly config: ValidatedStack["config"];
  /** The records built from `config` by `validateStack`. */
  readonly records: ValidatedStack["records"];
  /**
   * The zone to publish in.
   * @default config.dns.zoneId
   */
  readonly zoneId?: pulumi.Input<string>;
}

/**
 * Publishes one domain's email-authentication records. Child resources are named `<name>-<record id>`
 * (`example.com-spf`, `example.com-dkim-s202611a`, ...), so adding a selector never renames another
 * resource.
 */
export class MailDomain extends pulumi.ComponentResource {
  /** The records this component publishes, in the provider-neutral form. */
  public readonly records: readonly PublishedRecord[];
  /** The provider resources, one per record (Cloudflare) or per record set (Route53). */
  public readonly resources: readonly pulumi.CustomResource[];

  constructor(name: string, args: MailDomainArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE, name, {}, opts);
    const { config } = args;
    this.resources = providerFor(config.dns.provider).createResources(
      name,
      {
        zoneId: args.zoneId ?? config.dns.zoneId,
        domain: config.domain,
        records: args.records,
        preserveTxt: config.dns.preserveTxt,
      },
      { parent: this },
    );
    this.records = args.records.map(publishedRecord);
    this.registerOutputs({ records: this.records });
  }
}
