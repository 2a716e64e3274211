import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { MailDomain } from "../../../components/mailDomain";
import { fixtureKey } from "../../support/fixtures";
import {
  captureOptions,
  exampleStack,
  installMocks,
  settled,
  validated,
  type CapturedOptions,
  type Registered,
} from "../../support/mocks";

const CF = "cloudflare:index/dnsRecord:DnsRecord";
const R53 = "aws:route53/record:Record";
const COMPONENT = "sender-auth:index:MailDomain";
const CF_ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const R53_ZONE = "Z0123456789ABCDEFGHIJ";

let registered: Registered[];
beforeEach(async () => {
  registered = await installMocks();
});

async function publish(stack: ReturnType<typeof validated>, options: CapturedOptions[] = []): Promise<Registered[]> {
  const component = new MailDomain(stack.config.domain, stack, { transformations: [captureOptions(options)] });
  await settled([component, ...component.resources]);
  // Registration order follows promise resolution, not construction order: compare sorted by name.
  return registered.filter((resource) => resource.custom).sort((a, b) => a.name.localeCompare(b.name));
}

const byName = (resources: readonly Registered[]): Map<string, Registered> =>
  new Map(resources.map((r) => [r.name, r]));

describe("MailDomain on Cloudflare", () => {
  it("creates one DnsRecord per record with exact inputs, under one component named after the domain", async () => {
    const stack = exampleStack("example-com");
    const resources = await publish(stack);
    assert.deepEqual(
      registered.filter((r) => !r.custom).map((r) => [r.type, r.name]),
      [[COMPONENT, "example.com"]],
    );
    assert.deepEqual(
      resources.map((r) => [r.type, r.name]),
      [
        [CF, "example.com-dkim-s1"],
        [CF, "example.com-dkim-s202611a"],
        [CF, "example.com-dkim-s202611e"],
        [CF, "example.com-dmarc"],
        [CF, "example.com-dmarc-report-example.net"],
        [CF, "example.com-spf"],
      ],
    );
    const rsa = `v=DKIM1; k=rsa; p=${fixtureKey("rsa-2048").publicKey}`;
    const named = byName(resources);
    assert.deepEqual(named.get("example.com-spf")?.inputs, {
      zoneId: CF_ZONE,
      name: "example.com",
      type: "TXT",
      ttl: 3600,
      content:
        '"v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/24 ip6:2001:db8::/32 include:_spf.google.com include:sendgrid.net ~all"',
      comment: "sender-auth spf",
    });
    assert.deepEqual(named.get("example.com-dkim-s202611a")?.inputs, {
      zoneId: CF_ZONE,
      name: "s202611a._domainkey.example.com",
      type: "TXT",
      ttl: 3600,
      content: `"${rsa.slice(0, 255)}" "${rsa.slice(255)}"`,
      comment: "sender-auth dkim",
    });
    assert.deepEqual(
      named.get("example.com-dkim-s202611e")?.inputs["content"],
      `"v=DKIM1; k=ed25519; p=${fixtureKey("ed25519").publicKey}"`,
    );
    assert.deepEqual(named.get("example.com-dkim-s1")?.inputs, {
      zoneId: CF_ZONE,
      name: "s1._domainkey.example.com",
      type: "CNAME",
      ttl: 3600,
      content: "s1.domainkey.u1234567.wl123.sendgrid.net",
      proxied: false,
      comment: "sender-auth dkim",
    });
    assert.deepEqual(
      named.get("example.com-dmarc")?.inputs["content"],
      '"v=DMARC1; p=quarantine; sp=quarantine; np=reject; adkim=r; aspf=r; rua=mailto:dmarc-reports@example.com"',
    );
    assert.deepEqual(named.get("example.com-dmarc-report-example.net")?.inputs, {
      zoneId: CF_ZONE,
      name: "example.net._report._dmarc.example.com",
      type: "TXT",
      ttl: 3600,
      content: '"v=DMARC1"',
      comment: "sender-auth dmarc-report-auth",
    });
  });

  it("never sets proxied on TXT, and creates nothing for preserveTxt (Cloudflare keeps each TXT separately)", async () => {
    const resources = await publish(exampleStack("example-com"));
    for (const resource of resources.filter((r) => r.inputs["type"] === "TXT")) {
      assert.equal("proxied" in resource.inputs, false);
    }
    assert.equal(
      resources.some((r) => String(r.inputs["content"]).includes("google-site-verification")),
      false,
    );
  });

  it("parents every record to the component and deletes before replacing (Cloudflare refuses an identical record, error 81058; Pulumi creates first by default)", async () => {
    const options: CapturedOptions[] = [];
    await publish(exampleStack("example-com"), options);
    const children = options.filter((o) => o.type === CF);
    assert.equal(children.length, 6);
    for (const child of children) {
      assert.equal(child.opts.deleteBeforeReplace, true, child.name);
      assert.equal(child.opts.retainOnDelete, undefined, child.name);
      assert.ok(child.opts.parent instanceof MailDomain, child.name);
    }
  });
});

describe("MailDomain on Route53", () => {
  it("creates one Record per name and type, the apex one holding SPF and every preserveTxt value (Route 53 Developer Guide, TXT record type)", async () => {
    const resources = await publish(exampleStack("example-org"));
    assert.deepEqual(
      resources.map((r) => [r.type, r.name]),
      [
        [R53, "example.org-dkim-s202609a"],
        [R53, "example.org-dkim-s202611b"],
        [R53, "example.org-dmarc"],
        [R53, "example.org-spf"],
      ],
    );
    const named = byName(resources);
    assert.deepEqual(named.get("example.org-spf")?.inputs, {
      zoneId: R53_ZONE,
      name: "example.org",
      type: "TXT",
      ttl: 3600,
      records: [
        "v=spf1 ip4:203.0.113.25 mx include:spf.protection.outlook.com -all",
        "MS=ms12345678",
        "google-site-verification=Qm7bW1nLx2cY3dZ4eA5fB6gC7hD8iE9jF0kG1lH2mI3",
      ],
      allowOverwrite: false,
    });
    const rsa4096 = `v=DKIM1; k=rsa; p=${fixtureKey("rsa-4096").publicKey}`;
    assert.deepEqual(named.get("example.org-dkim-s202611b")?.inputs["records"], [
      `${rsa4096.slice(0, 255)}""${rsa4096.slice(255, 510)}""${rsa4096.slice(510)}`,
    ]);
    for (const resource of resources) {
      assert.equal(
        resource.inputs["allowOverwrite"],
        false,
        "never allowOverwrite (an UPSERT wipes the values it does not list)",
      );
    }
  });

  it("retains only the shared apex record on delete (terraform-provider-aws deletes a record set whole) and deletes before replacing everywhere", async () => {
    const options: CapturedOptions[] = [];
    await publish(exampleStack("example-org"), options);
    const children = options.filter((o) => o.type === R53);
    assert.deepEqual(
      children.map((c) => [c.name, c.opts.retainOnDelete, c.opts.deleteBeforeReplace]),
      [
        ["example.org-spf", true, true],
        ["example.org-dkim-s202609a", undefined, true],
        ["example.org-dkim-s202611b", undefined, true],
        ["example.org-dmarc", undefined, true],
      ],
    );
  });
});

describe("MailDomain record selection", () => {
  const cloudflare = { provider: "cloudflare", zoneId: CF_ZONE };

  it("publishes nothing for sections left out", async () => {
    assert.deepEqual(await publish(validated({ domain: "example.com", dns: cloudflare })), []);
  });

  it("publishes only DMARC when only DMARC is configured", async () => {
    const resources = await publish(
      validated({ domain: "example.com", dns: cloudflare, dmarc: { policy: "none", rua: ["mailto:d@example.com"] } }),
    );
    assert.deepEqual(
      resources.map((r) => r.name),
      ["example.com-dmarc"],
    );
  });

  it("publishes revoked selectors as an empty p= and keeps retired and published keys (RFC 6376 §3.6.1)", async () => {
    const key = fixtureKey("rsa-2048").publicKey;
    const resources = await publish(
      validated({
        domain: "example.com",
        dns: cloudflare,
        dkim: {
          selectors: {
            a: { status: "active", publicKey: key },
            p: { status: "published", publicKey: key },
            r: { status: "retired", publicKey: key },
            x: { status: "revoked", publicKey: key },
            y: { status: "revoked" },
          },
        },
      }),
    );
    const content = new Map(resources.map((r) => [r.name, r.inputs["content"]]));
    const published = `"${`v=DKIM1; k=rsa; p=${key}`.slice(0, 255)}" "${`v=DKIM1; k=rsa; p=${key}`.slice(255)}"`;
    assert.deepEqual(Object.fromEntries(content), {
      "example.com-dkim-a": published,
      "example.com-dkim-p": published,
      "example.com-dkim-r": published,
      "example.com-dkim-x": '"v=DKIM1; p="',
      "example.com-dkim-y": '"v=DKIM1; p="',
    });
  });

  it("publishes a parked domain: SPF -all, null MX, revoked wildcard DKIM, DMARC reject everywhere", async () => {
    const resources = await publish(validated({ domain: "example.com", dns: cloudflare, parked: true }));
    assert.deepEqual(
      resources.map((r) => [r.name, r.inputs["name"], r.inputs["type"], r.inputs["content"], r.inputs["priority"]]),
      [
        ["example.com-dkim-wildcard", "*._domainkey.example.com", "TXT", '"v=DKIM1; p="', undefined],
        ["example.com-dmarc", "_dmarc.example.com", "TXT", '"v=DMARC1; p=reject; sp=reject; np=reject"', undefined],
        ["example.com-mx", "example.com", "MX", ".", 0],
        ["example.com-spf", "example.com", "TXT", '"v=spf1 -all"', undefined],
      ],
    );
  });

  it("adding a selector adds exactly one resource and changes no other", async () => {
    const key = fixtureKey("rsa-2048").publicKey;
    const before = await publish(
      validated({
        domain: "example.com",
        dns: cloudflare,
        spf: {},
        dkim: { selectors: { b: { status: "active", publicKey: key } } },
      }),
    );
    registered = await installMocks();
    const after = await publish(
      validated({
        domain: "example.com",
        dns: cloudflare,
        spf: {},
        dkim: {
          selectors: {
            a: { status: "published", publicKey: fixtureKey("rsa-2048-b").publicKey },
            b: { status: "active", publicKey: key },
          },
        },
      }),
    );
    assert.equal(after.length, before.length + 1);
    const afterByName = byName(after);
    for (const resource of before) assert.deepEqual(afterByName.get(resource.name), resource);
    assert.deepEqual(
      after.filter((r) => !before.some((b) => b.name === r.name)).map((r) => r.name),
      ["example.com-dkim-a"],
    );
  });

  it("two domains in one program never share a resource name", async () => {
    const one = validated({ domain: "example.com", dns: cloudflare, spf: {} });
    const two = validated({ domain: "example.net", dns: cloudflare, spf: {} });
    const a = new MailDomain(one.config.domain, one);
    const b = new MailDomain(two.config.domain, two);
    await settled([a, b, ...a.resources, ...b.resources]);
    assert.deepEqual(
      registered
        .filter((r) => r.custom)
        .map((r) => r.name)
        .sort(),
      ["example.com-spf", "example.net-spf"],
    );
  });

  it("registers identical inputs on two runs of one config", async () => {
    const first = await publish(exampleStack("example-org"));
    registered = await installMocks();
    const second = await publish(exampleStack("example-org"));
    assert.deepEqual(second, first);
  });

  it("exposes the published records in the provider-neutral form", () => {
    const stack = exampleStack("example-org");
    const component = new MailDomain(stack.config.domain, stack);
    assert.deepEqual(component.records[0], {
      name: "example.org",
      type: "TXT",
      ttl: 3600,
      value: "v=spf1 ip4:203.0.113.25 mx include:spf.protection.outlook.com -all",
      purpose: "spf",
    });
    assert.equal(component.records.length, 4);
  });
});
