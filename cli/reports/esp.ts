/**
 * Email service providers recognised in aggregate reports, and what makes their mail pass DMARC.
 *
 * Recognition is offline and uses only what the receiver wrote into the report: the d= domain of a
 * DKIM signature the provider adds with its own domain when it does not sign as you, and the
 * RFC5321.MailFrom (bounce) domain it uses by default. IP ranges are deliberately not used: they
 * are published only through each provider's SPF records, change without notice, and reading them
 * would need DNS, while `reports` works offline; PTR names need DNS too and are not authenticated.
 * A source that signs as you or bounces through your domain, the setups that pass, needs no
 * recognising.
 *
 * An SPF include is offered only for providers that send with your own domain as MAIL FROM (then
 * your SPF record is the one evaluated, and the include makes it pass aligned). For providers with
 * their own bounce domain an include in your record changes nothing: SPF is checked against their
 * domain, which never aligns, so the fix is DKIM signing as you (CNAME selectors) or a custom MAIL
 * FROM under your domain.
 */

export interface Esp {
  readonly name: string;
  /** d= domains (and their subdomains) of the signature the provider adds as itself. */
  readonly dkimDomains: readonly string[];
  /** Default MAIL FROM domains (and their subdomains). */
  readonly mailFromDomains: readonly string[];
  /** The include that authorises the provider in your SPF record, when it sends with your MAIL FROM. */
  readonly spfInclude?: string;
  /** What makes its mail pass DMARC. */
  readonly fix: string;
  /** Where the behaviour above is documented. */
  readonly source: string;
}

export const ESPS: readonly Esp[] = [
  {
    name: "Google Workspace",
    // Without a DKIM key of your own, Gmail signs d=<domain>.<date>.gappssmtp.com.
    dkimDomains: ["gappssmtp.com"],
    mailFromDomains: [],
    spfInclude: "_spf.google.com",
    fix: "turn on DKIM for the domain (Admin console: Apps > Google Workspace > Gmail > Authenticate email) and publish its key as a selector; mail from the primary domain passes SPF with include:_spf.google.com",
    source: "https://dmarc.wiki/google-workspace",
  },
  {
    name: "Microsoft 365",
    // Without DKIM for the custom domain, Exchange Online signs d=<tenant>.onmicrosoft.com.
    dkimDomains: ["onmicrosoft.com"],
    mailFromDomains: [],
    spfInclude: "spf.protection.outlook.com",
    fix: "enable DKIM for the domain (Defender portal: Email authentication settings > DKIM) and add selector1 and selector2 as CNAME selectors; SPF passes with include:spf.protection.outlook.com",
    source: "https://learn.microsoft.com/defender-office-365/email-authentication-spf-configure",
  },
  {
    name: "Amazon SES",
    dkimDomains: ["amazonses.com"],
    mailFromDomains: ["amazonses.com"],
    fix: "set up Easy DKIM (three CNAME selectors) or a custom MAIL FROM subdomain (its own SPF record v=spf1 include:amazonses.com ~all and an MX); an include in this domain's SPF record does not help",
    source: "https://dmarc.wiki/ses",
  },
  {
    name: "SendGrid",
    dkimDomains: ["sendgrid.net"],
    mailFromDomains: ["sendgrid.net"],
    fix: "authenticate the domain in SendGrid (CNAMEs for em####, s1._domainkey and s2._domainkey); an include in this domain's SPF record does not help",
    source: "https://dmarc.wiki/sendgrid",
  },
  {
    name: "Mailchimp",
    dkimDomains: ["mcsv.net", "mcdlv.net", "rsgsv.net"],
    mailFromDomains: ["mcsv.net", "mcdlv.net", "rsgsv.net"],
    fix: "authenticate the domain in Mailchimp (CNAME selectors k2 and k3 to dkim2.mcsv.net and dkim3.mcsv.net); SPF never aligns for Mailchimp, so no include helps",
    source: "https://dmarc.wiki/mailchimp",
  },
  {
    name: "Postmark",
    dkimDomains: ["mtasv.net"],
    mailFromDomains: ["mtasv.net"],
    fix: "publish Postmark's DKIM key for the domain and a custom Return-Path (CNAME pm-bounces.<domain> to pm.mtasv.net)",
    source: "https://postmarkapp.com/blog/introducing-full-dmarc-support-with-custom",
  },
];

const under = (name: string, suffix: string): boolean => name === suffix || name.endsWith(`.${suffix}`);

/** The provider whose own DKIM or MAIL FROM domain appears among `dkimDomains` / `mailFromDomains`. */
export function recogniseEsp(dkimDomains: readonly string[], mailFromDomains: readonly string[]): Esp | undefined {
  return ESPS.find(
    (esp) =>
      dkimDomains.some((d) => esp.dkimDomains.some((s) => under(d, s))) ||
      mailFromDomains.some((d) => esp.mailFromDomains.some((s) => under(d, s))),
  );
}
