/**
 * An in-process stand-in for the Pulumi engine and resource monitor, for tests that run the program
 * through the SDK's own run entry (`@pulumi/pulumi/cmd/run`) as `pulumi preview` / `pulumi up` do
 * (see ./engineRun.ts). It speaks gRPC with `@grpc/grpc-js` and the message classes that ship in
 * `@pulumi/pulumi/proto`, so the wire format is the installed SDK's.
 *
 * Served: ResourceMonitor GetDeploymentInfo, SupportsFeature, RegisterResource, RegisterResourceOutputs,
 * SignalAndWaitForShutdown; Engine Log, GetRootResource, SetRootResource. Every other method of both
 * services answers UNIMPLEMENTED and is recorded in `unimplemented`, so a new dependency of the program
 * or the SDK on an RPC shows up as a failure. Every request and response is kept as the bytes that
 * crossed the wire and as the decoded message (`rpcs`).
 *
 * What it answers mirrors the engine (pkg/resource/deploy/source_eval.go, step.go in pulumi/pulumi):
 * URNs `urn:pulumi:<stack>::<project>::<parent type$>type::<name>`; components get no ID and no
 * outputs; a custom resource in preview (`dryRun`) gets an empty ID (unknown to the SDK) and its
 * inputs as outputs, so every output the provider would compute stays unknown, as a provider's preview
 * Create leaves it; in an update it gets a provider-like ID and its inputs as outputs. Secret values
 * stay secret, and `additionalSecretOutputs` become secret. There are no providers, no state and no
 * diffs: every resource is a create.
 */
import { createHash } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type * as jspb from "google-protobuf";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import { ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { isRecord } from "../../components/model";

/** The SDK's wire markers (@pulumi/pulumi runtime/rpc.js; the engine's resource.SigKey and friends). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

const Feature = resproto.ResourceMonitorFeature;

/**
 * The monitor features this stand-in implements, by their SupportsFeature names: secrets are kept and
 * returned marked; resource references, output values and the option fields (alias specs, replacement
 * trigger, deletedWith, replaceWith) are accepted and echoed without any further RPC. Transforms, hooks,
 * parameterization, state migrations and invoke features need RPCs it does not serve, so it does not
 * claim them, and the SDK refuses a program that uses them instead of calling an RPC that fails.
 */
export const SUPPORTED_FEATURES: ReadonlyMap<string, resproto.ResourceMonitorFeature> = new Map([
  ["secrets", Feature.RESOURCE_MONITOR_FEATURE_SECRETS],
  ["resourceReferences", Feature.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES],
  ["outputValues", Feature.RESOURCE_MONITOR_FEATURE_OUTPUT_VALUES],
  ["aliasSpecs", Feature.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS],
  ["replacementTrigger", Feature.RESOURCE_MONITOR_FEATURE_REPLACEMENT_TRIGGER],
  ["deletedWith", Feature.RESOURCE_MONITOR_FEATURE_DELETED_WITH],
  ["replaceWith", Feature.RESOURCE_MONITOR_FEATURE_REPLACE_WITH],
]);

export interface EngineOptions {
  readonly organization: string;
  readonly project: string;
  readonly stack: string;
  /** `pulumi preview` (true) or `pulumi up` (false). */
  readonly dryRun: boolean;
  readonly parallel: number;
  /** The decrypted config, keyed `<namespace>:<key>` (GetDeploymentInfo returns it, as the engine does). */
  readonly config: Readonly<Record<string, string>>;
  /** Top-level keys holding a secret value. */
  readonly secretKeys: readonly string[];
}

/** One RPC as it crossed the wire. */
export interface RpcExchange {
  /** e.g. `ResourceMonitor/RegisterResource`, `Engine/Log`. */
  readonly method: string;
  readonly request: jspb.Message;
  readonly requestBytes: Uint8Array;
  /** Unset when the call failed (e.g. UNIMPLEMENTED). */
  response?: jspb.Message;
  responseBytes?: Uint8Array;
}

export type LogSeverity = "debug" | "info" | "warning" | "error";

export interface LogEntry {
  readonly severity: LogSeverity;
  readonly message: string;
  readonly urn: string;
  readonly ephemeral: boolean;
  /** `performance.now()` when the stand-in received it. */
  readonly receivedAt: number;
}

/** One RegisterResource request, decoded. */
export interface Registration {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** Parent URN ("" for the root stack). */
  readonly parent: string;
  /** Inputs as sent: secret values still wrapped in their `{ [SIG_KEY]: SECRET_SIG, value }` marker. */
  readonly inputs: Record<string, unknown>;
  readonly deleteBeforeReplace: boolean;
  /** Unset when the program left the option unset. */
  readonly retainOnDelete: boolean | undefined;
  readonly protect: boolean | undefined;
  /** Provider reference ("" = the default provider for the type's package). */
  readonly provider: string;
  readonly dependencies: readonly string[];
  readonly ignoreChanges: readonly string[];
  readonly additionalSecretOutputs: readonly string[];
  readonly request: resproto.RegisterResourceRequest;
}

const SEVERITY: Record<engproto.LogSeverity, LogSeverity> = {
  [engproto.LogSeverity.DEBUG]: "debug",
  [engproto.LogSeverity.INFO]: "info",
  [engproto.LogSeverity.WARNING]: "warning",
  [engproto.LogSeverity.ERROR]: "error",
};

/** `{ [SIG_KEY]: SECRET_SIG, value }`, as the SDK and the engine mark a secret. */
export function secretValue(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** True for a value marked secret on the wire: a secret marker, or an output value with `secret: true`. */
export function isSecretMarked(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false;
  return value[SIG_KEY] === SECRET_SIG || (value[SIG_KEY] === OUTPUT_VALUE_SIG && value["secret"] === true);
}

/** `value` with every secret marker replaced by what it wraps. */
export function unwrapSecrets(value: unknown): unknown {
  if (isSecretMarked(value)) return unwrapSecrets(value["value"]);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  return value;
}

/** `value` with every secret-marked value replaced by `replacement`. */
export function redactSecrets(value: unknown, replacement: unknown = "[secret]"): unknown {
  if (isSecretMarked(value)) return replacement;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, replacement));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, replacement)]));
  }
  return value;
}

/** The parent-qualified type of a URN (`<parent types$>type`). */
function qualifiedTypeOf(urn: string): string {
  const parts = urn.split("::");
  const type = parts[2];
  if (type === undefined) throw new Error(`not a URN: ${urn}`);
  return type;
}

type AnyMethod = grpc.MethodDefinition<jspb.Message, jspb.Message>;
type Handler = (request: jspb.Message) => jspb.Message;

/** A handler for requests of class `type` (what the method's deserializer builds). */
function handler<Request extends jspb.Message>(
  type: new () => Request,
  serve: (request: Request) => jspb.Message,
): Handler {
  return (request) => {
    if (!(request instanceof type)) throw new Error(`unexpected request ${request.constructor.name}`);
    return serve(request);
  };
}

export class EngineStandIn {
  /** Every RPC in the order the requests arrived. */
  readonly rpcs: RpcExchange[] = [];
  readonly registrations: Registration[] = [];
  readonly logs: LogEntry[] = [];
  /** RegisterResourceOutputs requests: URN → outputs as sent (secret markers kept). */
  readonly outputs = new Map<string, Record<string, unknown>>();
  /** Calls of methods this stand-in does not serve, e.g. `ResourceMonitor/Invoke`. */
  readonly unimplemented: string[] = [];
  rootResource = "";
  shutdownSignalled = false;

  private readonly servers: grpc.Server[] = [];
  private readonly exchanges = new WeakMap<jspb.Message, RpcExchange>();
  private monitorPort = 0;
  private enginePort = 0;

  private constructor(readonly options: EngineOptions) {}

  /** Starts the monitor and the engine, each on its own loopback port, as the Pulumi CLI does. */
  static async start(options: EngineOptions): Promise<EngineStandIn> {
    const engine = new EngineStandIn(options);
    engine.monitorPort = await engine.serve(ResourceMonitorService, "ResourceMonitor", {
      getDeploymentInfo: handler(Empty, () => engine.deploymentInfo()),
      supportsFeature: handler(resproto.SupportsFeatureRequest, (request) => engine.supportsFeature(request)),
      registerResource: handler(resproto.RegisterResourceRequest, (request) => engine.registerResource(request)),
      registerResourceOutputs: handler(resproto.RegisterResourceOutputsRequest, (request) =>
        engine.registerResourceOutputs(request),
      ),
      signalAndWaitForShutdown: handler(Empty, () => {
        engine.shutdownSignalled = true;
        return new Empty();
      }),
    });
    engine.enginePort = await engine.serve(EngineService, "Engine", {
      log: handler(engproto.LogRequest, (request) => engine.log(request)),
      getRootResource: handler(engproto.GetRootResourceRequest, () =>
        new engproto.GetRootResourceResponse().setUrn(engine.rootResource),
      ),
      setRootResource: handler(engproto.SetRootResourceRequest, (request) => {
        engine.rootResource = request.getUrn();
        return new engproto.SetRootResourceResponse();
      }),
    });
    return engine;
  }

  get monitorAddress(): string {
    return `127.0.0.1:${this.monitorPort}`;
  }

  get engineAddress(): string {
    return `127.0.0.1:${this.enginePort}`;
  }

  /** Registrations of custom resources (what providers would create), in registration order. */
  get customResources(): Registration[] {
    return this.registrations.filter((registration) => registration.custom);
  }

  /** Error messages logged by the program, in order. */
  get errors(): string[] {
    return this.logs.filter((entry) => entry.severity === "error").map((entry) => entry.message);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.tryShutdown(() => {
              resolve();
            });
            // Calls still open (a program killed mid-call) must not hold the test up.
            setTimeout(() => {
              server.forceShutdown();
              resolve();
            }, 1000).unref();
          }),
      ),
    );
  }

  private async serve(
    service: grpc.ServiceDefinition,
    serviceName: string,
    handlers: Readonly<Record<string, Handler>>,
  ): Promise<number> {
    const server = new grpc.Server();
    const definition: Record<string, AnyMethod> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(service as Record<string, AnyMethod>)) {
      const rpc = `${serviceName}/${method.path.split("/").pop() ?? name}`;
      definition[name] = {
        ...method,
        // Keep the bytes exactly as they crossed the wire, next to the decoded message.
        requestDeserialize: (bytes: Buffer) => {
          const request = method.requestDeserialize(bytes);
          const exchange: RpcExchange = { method: rpc, request, requestBytes: Uint8Array.from(bytes) };
          this.rpcs.push(exchange);
          this.exchanges.set(request, exchange);
          return request;
        },
        responseSerialize: (response: jspb.Message) => {
          const bytes = method.responseSerialize(response);
          const exchange = this.exchanges.get(response);
          if (exchange) exchange.responseBytes = Uint8Array.from(bytes);
          return bytes;
        },
      };
      const handler = handlers[name];
      implementation[name] = (
        call: grpc.ServerUnaryCall<jspb.Message, jspb.Message>,
        callback: grpc.sendUnaryData<jspb.Message>,
      ) => {
        if (handler === undefined) {
          this.unimplemented.push(rpc);
          callback({ code: grpc.status.UNIMPLEMENTED, details: `the test engine does not serve ${rpc}` });
          return;
        }
        try {
          const response = handler(call.request);
          const exchange = this.exchanges.get(call.request);
          if (exchange) {
            exchange.response = response;
            this.exchanges.set(response, exchange);
          }
          callback(null, response);
        } catch (error) {
          callback({ code: grpc.status.INTERNAL, details: error instanceof Error ? error.message : String(error) });
        }
      };
    }
    server.addService(definition, implementation);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => {
        if (error) reject(error);
        else resolve(bound);
      });
    });
    this.servers.push(server);
    return port;
  }

  private deploymentInfo(): resproto.DeploymentInfo {
    const info = new resproto.DeploymentInfo()
      .setOrganization(this.options.organization)
      .setProject(this.options.project)
      .setStack(this.options.stack)
      .setDryrun(this.options.dryRun)
      .setParallel(this.options.parallel)
      .setConfigsecretkeysList([...this.options.secretKeys])
      .setSupportedfeaturesList([...SUPPORTED_FEATURES.values()]);
    const config = info.getConfigMap();
    for (const [key, value] of Object.entries(this.options.config)) config.set(key, value);
    return info;
  }

  private supportsFeature(request: resproto.SupportsFeatureRequest): resproto.SupportsFeatureResponse {
    return new resproto.SupportsFeatureResponse().setHassupport(SUPPORTED_FEATURES.has(request.getId()));
  }

  private urnOf(type: string, name: string, parent: string): string {
    const parentType = parent === "" ? undefined : qualifiedTypeOf(parent);
    const qualified = parentType === undefined || parentType === ROOT_STACK_TYPE ? type : `${parentType}$${type}`;
    return `urn:pulumi:${this.options.stack}::${this.options.project}::${qualified}::${name}`;
  }

  private registerResource(request: resproto.RegisterResourceRequest): resproto.RegisterResourceResponse {
    const type = request.getType();
    const name = request.getName();
    const custom = request.getCustom();
    const urn = this.urnOf(type, name, request.getParent());
    const inputs = (request.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const additionalSecretOutputs = request.getAdditionalsecretoutputsList();
    this.registrations.push({
      urn,
      type,
      name,
      custom,
      parent: request.getParent(),
      inputs,
      deleteBeforeReplace: request.getDeletebeforereplace(),
      retainOnDelete: request.hasRetainondelete() ? request.getRetainondelete() : undefined,
      protect: request.hasProtect() ? request.getProtect() : undefined,
      provider: request.getProvider(),
      dependencies: request.getDependenciesList(),
      ignoreChanges: request.getIgnorechangesList(),
      additionalSecretOutputs,
      request,
    });
    const response = new resproto.RegisterResourceResponse().setUrn(urn);
    if (!custom) return response;
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(inputs)) {
      outputs[key] = additionalSecretOutputs.includes(key) && !isSecretMarked(value) ? secretValue(value) : value;
    }
    // A provider's ID: known only once the resource exists, i.e. never during a preview.
    const id = this.options.dryRun ? "" : createHash("sha256").update(urn).digest("hex").slice(0, 32);
    return response.setId(id).setObject(Struct.fromJavaScript(outputs as Parameters<typeof Struct.fromJavaScript>[0]));
  }

  private registerResourceOutputs(request: resproto.RegisterResourceOutputsRequest): Empty {
    this.outputs.set(request.getUrn(), request.getOutputs()?.toJavaScript() ?? {});
    return new Empty();
  }

  private log(request: engproto.LogRequest): Empty {
    this.logs.push({
      severity: SEVERITY[request.getSeverity()],
      message: request.getMessage(),
      urn: request.getUrn(),
      ephemeral: request.getEphemeral(),
      receivedAt: performance.now(),
    });
    return new Empty();
  }
}

/** Where key material was seen on the wire. */
export interface Sighting {
  /** e.g. `ResourceMonitor/RegisterResourceOutputs`. */
  readonly method: string;
  readonly direction: "request" | "response";
  /** True when it is there outside any value marked secret. */
  readonly outsideSecrets: boolean;
}

/**
 * A message as JSON with every value marked secret replaced by "[secret]": secret markers inside its
 * Struct and Value fields, and config values of secret keys in DeploymentInfo (the engine's
 * `config` map holds decrypted values, marked only by `configSecretKeys`). Every other field comes from
 * `toObject()`, so a Struct field not listed here counts as not secret: the view errs towards a leak.
 */
export function publicView(message: jspb.Message): string {
  const view = message.toObject() as Record<string, unknown>;
  const redacted = (struct: Struct | undefined): unknown => redactSecrets(struct?.toJavaScript());
  if (message instanceof resproto.RegisterResourceRequest) {
    view["object"] = redacted(message.getObject());
    view["replacementTrigger"] = redactSecrets(message.getReplacementTrigger()?.toJavaScript());
  } else if (message instanceof resproto.RegisterResourceResponse) {
    view["object"] = redacted(message.getObject());
  } else if (message instanceof resproto.RegisterResourceOutputsRequest) {
    view["outputs"] = redacted(message.getOutputs());
  } else if (message instanceof resproto.DeploymentInfo) {
    const secret = new Set(message.getConfigsecretkeysList());
    view["configMap"] = message
      .getConfigMap()
      .toArray()
      .map(([key, value]) => [key, secret.has(key) ? "[secret]" : value]);
  }
  return JSON.stringify(view);
}

/**
 * Every RPC message that carries one of `needles` (e.g. lines of a private key's PEM), in the bytes that
 * crossed the wire, and whether it is there outside the values marked secret (see {@link publicView}).
 */
export function sightings(rpcs: readonly RpcExchange[], needles: readonly string[]): Sighting[] {
  const found: Sighting[] = [];
  const carries = (text: string): boolean => needles.some((needle) => text.includes(needle));
  for (const exchange of rpcs) {
    const sides = [
      { direction: "request" as const, message: exchange.request, bytes: exchange.requestBytes },
      { direction: "response" as const, message: exchange.response, bytes: exchange.responseBytes },
    ];
    for (const { direction, message, bytes } of sides) {
      if (message === undefined || bytes === undefined) continue;
      if (!carries(Buffer.from(bytes).toString("latin1"))) continue;
      found.push({ method: exchange.method, direction, outsideSecrets: carries(publicView(message)) });
    }
  }
  return found;
}
