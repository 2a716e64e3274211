import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import { ResourceMonitorClient } from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { EngineStandIn, secretValue, sightings, type EngineOptions, type RpcExchange } from "../../support/engine";

const OPTIONS: EngineOptions = {
  organization: "organization",
  project: "proj",
  stack: "dev",
  dryRun: true,
  parallel: 8,
  config: { "proj:name": "x", "proj:key": "SECRETTEXT" },
  secretKeys: ["proj:key"],
};

type Callback<T> = (error: grpc.ServiceError | null, response: T) => void;

function call<T>(invoke: (callback: Callback<T>) => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    invoke((error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}

function registerRequest(type: string, name: string, parent: string, custom: boolean, object = {}) {
  return new resproto.RegisterResourceRequest()
    .setType(type)
    .setName(name)
    .setParent(parent)
    .setCustom(custom)
    .setObject(Struct.fromJavaScript(object));
}

describe("EngineStandIn", () => {
  for (const dryRun of [true, false]) {
    describe(dryRun ? "previewing" : "updating", () => {
      let engine: EngineStandIn;
      let monitor: ResourceMonitorClient;
      let engineClient: EngineClient;

      before(async () => {
        engine = await EngineStandIn.start({ ...OPTIONS, dryRun });
        monitor = new ResourceMonitorClient(engine.monitorAddress, grpc.credentials.createInsecure());
        engineClient = new EngineClient(engine.engineAddress, grpc.credentials.createInsecure());
      });
      after(async () => {
        monitor.close();
        engineClient.close();
        await engine.close();
      });

      it("serves the monitor and the engine on two loopback ports", () => {
        assert.match(engine.monitorAddress, /^127\.0\.0\.1:[1-9][0-9]*$/);
        assert.match(engine.engineAddress, /^127\.0\.0\.1:[1-9][0-9]*$/);
        assert.notEqual(engine.monitorAddress, engine.engineAddress);
      });

      it("GetDeploymentInfo: the run's settings, decrypted config, secret keys and the features it implements", async () => {
        const info = await call<resproto.DeploymentInfo>((cb) => monitor.getDeploymentInfo(new Empty(), cb));
        assert.deepEqual(
          {
            organization: info.getOrganization(),
            project: info.getProject(),
            stack: info.getStack(),
            dryRun: info.getDryrun(),
            parallel: info.getParallel(),
            config: info.getConfigMap().toArray(),
            secretKeys: info.getConfigsecretkeysList(),
            features: info.getSupportedfeaturesList(),
          },
          {
            organization: "organization",
            project: "proj",
            stack: "dev",
            dryRun,
            parallel: 8,
            config: [
              ["proj:key", "SECRETTEXT"],
              ["proj:name", "x"],
            ],
            secretKeys: ["proj:key"],
            features: [0, 1, 2, 3, 4, 5, 6],
          },
        );
      });

      it("SupportsFeature: true only for what it implements", async () => {
        const supports = async (id: string): Promise<boolean> =>
          (
            await call<resproto.SupportsFeatureResponse>((cb) =>
              monitor.supportsFeature(new resproto.SupportsFeatureRequest().setId(id), cb),
            )
          ).getHassupport();
        for (const id of [
          "secrets",
          "resourceReferences",
          "outputValues",
          "aliasSpecs",
          "deletedWith",
          "replaceWith",
        ]) {
          assert.equal(await supports(id), true, id);
        }
        for (const id of ["transforms", "invokeTransforms", "parameterization", "resourceHooks", "errorHooks", "x"]) {
          assert.equal(await supports(id), false, id);
        }
      });

      it("RegisterResource: URNs by parent type, no outputs for components, inputs back with secrets kept", async () => {
        const root = await call<resproto.RegisterResourceResponse>((cb) =>
          monitor.registerResource(registerRequest("pulumi:pulumi:Stack", "proj-dev", "", false), cb),
        );
        assert.equal(root.getUrn(), "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev");
        const component = await call<resproto.RegisterResourceResponse>((cb) =>
          monitor.registerResource(registerRequest("pkg:index:Comp", "c", root.getUrn(), false, { a: 1 }), cb),
        );
        assert.equal(component.getUrn(), "urn:pulumi:dev::proj::pkg:index:Comp::c");
        assert.equal(component.getId(), "");
        assert.equal(component.getObject(), undefined);
        const request = registerRequest("cloud:index/rec:Rec", "c-r", component.getUrn(), true, {
          name: "n",
          token: secretValue("t"),
          extra: "e",
        })
          .setDeletebeforereplace(true)
          .setRetainondelete(true)
          .setAdditionalsecretoutputsList(["extra"]);
        const custom = await call<resproto.RegisterResourceResponse>((cb) => monitor.registerResource(request, cb));
        assert.equal(custom.getUrn(), "urn:pulumi:dev::proj::pkg:index:Comp$cloud:index/rec:Rec::c-r");
        if (dryRun) assert.equal(custom.getId(), "");
        else assert.match(custom.getId(), /^[0-9a-f]{32}$/);
        assert.deepEqual(custom.getObject()?.toJavaScript(), {
          name: "n",
          token: secretValue("t"),
          extra: secretValue("e"),
        });
        const recorded = engine.registrations.at(-1);
        assert.deepEqual(
          [
            recorded?.custom,
            recorded?.parent,
            recorded?.deleteBeforeReplace,
            recorded?.retainOnDelete,
            recorded?.protect,
          ],
          [true, component.getUrn(), true, true, undefined],
        );
        assert.deepEqual(
          engine.customResources.map((r) => r.name),
          ["c-r"],
        );
      });

      it("RegisterResourceOutputs, Log, Set/GetRootResource, SignalAndWaitForShutdown are recorded", async () => {
        const outputs = new resproto.RegisterResourceOutputsRequest()
          .setUrn("urn:x")
          .setOutputs(Struct.fromJavaScript({ k: secretValue("v") }));
        await call((cb) => monitor.registerResourceOutputs(outputs, cb));
        assert.deepEqual(engine.outputs.get("urn:x"), { k: secretValue("v") });
        await call((cb) =>
          engineClient.log(
            new engproto.LogRequest().setSeverity(engproto.LogSeverity.ERROR).setMessage("bad").setUrn("urn:x"),
            cb,
          ),
        );
        assert.deepEqual(engine.errors, ["bad"]);
        await call((cb) => engineClient.setRootResource(new engproto.SetRootResourceRequest().setUrn("urn:root"), cb));
        const root = await call<engproto.GetRootResourceResponse>((cb) =>
          engineClient.getRootResource(new engproto.GetRootResourceRequest(), cb),
        );
        assert.equal(root.getUrn(), "urn:root");
        assert.equal(engine.shutdownSignalled, false);
        await call((cb) => monitor.signalAndWaitForShutdown(new Empty(), cb));
        assert.equal(engine.shutdownSignalled, true);
      });

      it("answers every other method UNIMPLEMENTED and records the call", async () => {
        const unimplemented = (invoke: (cb: Callback<unknown>) => unknown) =>
          assert.rejects(call(invoke), { code: grpc.status.UNIMPLEMENTED });
        await unimplemented((cb) => monitor.invoke(new resproto.ResourceInvokeRequest().setTok("x:y:z"), cb));
        await unimplemented((cb) => monitor.readResource(new resproto.ReadResourceRequest(), cb));
        await unimplemented((cb) => monitor.registerPackage(new resproto.RegisterPackageRequest(), cb));
        await unimplemented((cb) =>
          engineClient.requirePulumiVersion(
            new engproto.RequirePulumiVersionRequest().setPulumiVersionRange(">=3"),
            cb,
          ),
        );
        assert.deepEqual(engine.unimplemented, [
          "ResourceMonitor/Invoke",
          "ResourceMonitor/ReadResource",
          "ResourceMonitor/RegisterPackage",
          "Engine/RequirePulumiVersion",
        ]);
      });

      it("keeps every exchange as the bytes that crossed the wire", () => {
        for (const rpc of engine.rpcs) {
          assert.ok(rpc.requestBytes instanceof Uint8Array);
          assert.deepEqual(rpc.request.serializeBinary(), rpc.requestBytes, rpc.method);
          if (rpc.response !== undefined) assert.deepEqual(rpc.response.serializeBinary(), rpc.responseBytes);
        }
      });
    });
  }
});

describe("sightings (key material on the wire, inside or outside values marked secret)", () => {
  const KEY_LINE = "MC4CAQAwBQYDK2VwBCIEIKEYKEYKEYKEYKEYKEYKEYKEYKEYKEYKEYKEYKEYKEY";
  const exchange = (method: string, request: RpcExchange["request"], response?: RpcExchange["request"]) => {
    const rpc: RpcExchange = { method, request, requestBytes: request.serializeBinary() };
    if (response !== undefined) {
      rpc.response = response;
      rpc.responseBytes = response.serializeBinary();
    }
    return rpc;
  };
  const pem = `-----BEGIN PRIVATE KEY-----\n${KEY_LINE}\n-----END PRIVATE KEY-----\n`;

  it("finds key text outside secrets in resource inputs, outputs, logs and non-secret config", () => {
    const info = new resproto.DeploymentInfo().setConfigsecretkeysList(["p:secret"]);
    info.getConfigMap().set("p:secret", pem).set("p:plain", pem);
    const found = sightings(
      [
        exchange("ResourceMonitor/RegisterResource", registerRequest("t", "n", "", true, { privateKey: pem })),
        exchange(
          "ResourceMonitor/RegisterResourceOutputs",
          new resproto.RegisterResourceOutputsRequest().setOutputs(Struct.fromJavaScript({ nested: { k: [pem] } })),
        ),
        exchange("Engine/Log", new engproto.LogRequest().setMessage(`oops ${KEY_LINE}`)),
        exchange("ResourceMonitor/GetDeploymentInfo", new Empty(), info),
      ],
      [KEY_LINE],
    );
    assert.deepEqual(found, [
      { method: "ResourceMonitor/RegisterResource", direction: "request", outsideSecrets: true },
      { method: "ResourceMonitor/RegisterResourceOutputs", direction: "request", outsideSecrets: true },
      { method: "Engine/Log", direction: "request", outsideSecrets: true },
      { method: "ResourceMonitor/GetDeploymentInfo", direction: "response", outsideSecrets: true },
    ]);
  });

  it("accepts key text inside secret markers, output values marked secret and secret config keys", () => {
    const info = new resproto.DeploymentInfo().setConfigsecretkeysList(["p:secret"]);
    info.getConfigMap().set("p:secret", pem).set("p:plain", "nothing");
    const outputValue = {
      "4dabf18193072939515e22adb298388d": "d0e6a833031e9bbcd3f4e8bde6ca49a4",
      value: pem,
      secret: true,
    };
    const found = sightings(
      [
        exchange(
          "ResourceMonitor/RegisterResource",
          registerRequest("t", "n", "", true, { privateKey: secretValue(pem), other: outputValue }),
          new resproto.RegisterResourceResponse().setObject(Struct.fromJavaScript({ privateKey: secretValue(pem) })),
        ),
        exchange("ResourceMonitor/GetDeploymentInfo", new Empty(), info),
        exchange("Engine/Log", new engproto.LogRequest().setMessage("nothing to see")),
      ],
      [KEY_LINE],
    );
    assert.deepEqual(found, [
      { method: "ResourceMonitor/RegisterResource", direction: "request", outsideSecrets: false },
      { method: "ResourceMonitor/RegisterResource", direction: "response", outsideSecrets: false },
      { method: "ResourceMonitor/GetDeploymentInfo", direction: "response", outsideSecrets: false },
    ]);
  });
});
