import { describe, expect, it } from "vitest";
import type { ContainerInfo } from "../model/container.js";
import { DEFAULT_IDENTITY_OPTIONS, identify, isGpuUuid, type IdentityOptions } from "./identity.js";

function info(over: Partial<ContainerInfo> & { labels?: Record<string, string> } = {}): ContainerInfo {
  return {
    id: "c".repeat(64),
    name: "box",
    image: "img",
    labels: {},
    state: "running",
    createdAt: 0,
    startedAt: 0,
    finishedAt: null,
    restartCount: 0,
    pid: 42,
    deviceRequestGpuIds: [],
    requestsGpu: false,
    cgroupParent: null,
    nvidiaVisibleDevices: null,
    ...over,
  };
}

const users = new Set(["alice", "bob", "carol", "dave"]);
const opts: IdentityOptions = {
  ...DEFAULT_IDENTITY_OPTIONS,
  userExists: (n) => users.has(n),
  uidToName: (uid) => (uid === 1001 ? "alice" : null),
};

describe("owner: one chain for every code path (the original's six chains disagreed; this is how each case resolves)", () => {
  it.each([
    // [case, name, labels, owner, source]
    ["ds01.user wins over everything", "x._.bob", { "ds01.user": "alice", "aime.mlc.USER": "bob", "devcontainer.local_folder": "/home/carol/p" }, "alice", "ds01.user"],
    ["aime.mlc.USER before the devcontainer folder (tracker/reader order agree)", "box", { "aime.mlc.USER": "bob", "devcontainer.local_folder": "/home/carol/p" }, "bob", "aime.mlc.USER"],
    ["devcontainer folder before the ._. name (tracker had it after)", "proj._.bob", { "devcontainer.local_folder": "/home/carol/work/p" }, "carol", "devcontainer.local_folder"],
    ["devcontainer folder that is the home itself", "box", { "devcontainer.local_folder": "/home/dave" }, "dave", "devcontainer.local_folder"],
    ["devcontainer folder of a user that does not exist falls through to the name", "p._.bob", { "devcontainer.local_folder": "/home/mallory/p" }, "bob", "name"],
    ["devcontainer folder outside /home is not an owner", "box", { "devcontainer.local_folder": "/srv/alice/p" }, "unknown", "unknown"],
    ["name pattern with a login name", "train._.carol", {}, "carol", "name"],
    ["name pattern with a uid is resolved to the login name", "train._.1001", {}, "alice", "name"],
    ["name pattern with an unknown uid is unknown (never the number)", "train._.4242", {}, "unknown", "unknown"],
    ["the text after the LAST ._. is the user", "a._.b._.dave", {}, "dave", "name"],
    ["name pattern with a non-existent user is unknown", "train._.nobody", {}, "unknown", "unknown"],
    ["empty ds01.user is ignored", "box", { "ds01.user": " ", "aime.mlc.USER": "bob" }, "bob", "aime.mlc.USER"],
    ["cgroup parent slice is NOT an owner (gpu-state-reader's guess)", "box", {}, "unknown", "unknown"],
    ["compose working_dir is NOT an owner (tracker/unmanaged guess)", "box", { "com.docker.compose.project.working_dir": "/home/alice/app" }, "unknown", "unknown"],
    ["nothing says: unknown", "box", {}, "unknown", "unknown"],
  ] as const)("%s", (_case, name, labels, owner, source) => {
    const id = identify(info({ name, labels, cgroupParent: "ds01-student-alice.slice" }), opts);
    expect(id.owner).toBe(owner);
    expect(id.ownerSource).toBe(source);
  });

  it("without a user lookup, derived names are taken as they are (uids still need a lookup)", () => {
    expect(identify(info({ name: "t._.zed" })).owner).toBe("zed");
    expect(identify(info({ name: "t._.1001" })).owner).toBe("unknown");
    expect(identify(info({ labels: { "devcontainer.local_folder": "/home/zed/x" } })).owner).toBe("zed");
  });
});

describe("type: one detector (the original's six variants disagreed; this is how each case resolves)", () => {
  it.each([
    // [case, name, labels, type]
    ["explicit container_type label", "box", { "ds01.container_type": "compose", "ds01.managed": "true" }, "compose"],
    ["container_type label wins over interface", "box", { "ds01.container_type": "devcontainer", "ds01.interface": "atomic" }, "devcontainer"],
    ["container_type unknown: keep looking", "box", { "ds01.container_type": "unknown", "com.docker.compose.project": "p" }, "compose"],
    ["container_type not a known type: keep looking", "box", { "ds01.container_type": "weird", "ds01.managed": "true" }, "atomic"],
    ["interface orchestration", "box", { "ds01.interface": "orchestration", "ds01.managed": "true" }, "orchestration"],
    ["interface atomic", "box", { "ds01.interface": "atomic" }, "atomic"],
    ["interface api (the exporter crashed on it)", "box", { "ds01.interface": "api" }, "api"],
    ["interface vscode → devcontainer", "box", { "ds01.interface": "vscode" }, "devcontainer"],
    ["interface docker", "box", { "ds01.interface": "docker", "ds01.managed": "true" }, "docker"],
    ["interface unknown: keep looking", "box", { "ds01.interface": "unknown", "ds01.managed": "true" }, "atomic"],
    ["wrapper-created devcontainer with ds01.managed stays devcontainer (allocator said atomic)", "box", { "ds01.managed": "true", "devcontainer.local_folder": "/home/a/p" }, "devcontainer"],
    ["vsc- name prefix", "vsc-proj-123", {}, "devcontainer"],
    ["devcontainer.metadata label", "box", { "devcontainer.metadata": "[]" }, "devcontainer"],
    ["devcontainer before compose (owner tracker had compose first)", "box", { "devcontainer.local_folder": "/home/a/p", "com.docker.compose.project": "p" }, "devcontainer"],
    ["compose project", "p-web-1", { "com.docker.compose.project": "p" }, "compose"],
    ["compose before managed (allocator said atomic)", "box", { "com.docker.compose.project": "p", "ds01.managed": "true" }, "compose"],
    ["ds01.managed=true → atomic", "box", { "ds01.managed": "true" }, "atomic"],
    ["aime.mlc.DS01_MANAGED → atomic", "box", { "aime.mlc.DS01_MANAGED": "true" }, "atomic"],
    ["._. name → atomic (scripts checked this before devcontainer)", "train._.1001", {}, "atomic"],
    ["mlc container: workspaceFolder label alone is not a devcontainer", "train._.1001", { "devcontainer.workspaceFolder": "/workspace", "aime.mlc.USER": "alice" }, "atomic"],
    ["workspaceFolder alone on an unmanaged container is a devcontainer", "box", { "devcontainer.workspaceFolder": "/workspace" }, "devcontainer"],
    ["ds01.managed=false is not managed", "box", { "ds01.managed": "false" }, "docker"],
    ["plain docker run", "box", {}, "docker"],
    ["names ending _1 are not special (reader's 'other')", "proj_web_1", {}, "docker"],
    ["monitoring label → infrastructure", "box", { "ds01.monitoring": "true", "ds01.container_type": "compose" }, "infrastructure"],
    ["infrastructure name prefix → infrastructure", "ds01-grafana", { "com.docker.compose.project": "monitoring" }, "infrastructure"],
    ["container_type=infrastructure with the protected label", "box", { "ds01.container_type": "infrastructure", "ds01.protected": "true" }, "infrastructure"],
    ["container_type=infrastructure on its own is ignored", "box", { "ds01.container_type": "infrastructure", "ds01.user": "alice" }, "docker"],
    ["protected alone keeps the detected type", "box", { "ds01.protected": "true", "ds01.managed": "true" }, "atomic"],
  ] as const)("%s", (_case, name, labels, type) => {
    expect(identify(info({ name, labels }), opts).type).toBe(type);
  });
});

describe("GPUs: every GPU from every source", () => {
  const G1 = "GPU-11111111-1111-1111-1111-111111111111";
  const G2 = "GPU-22222222-2222-2222-2222-222222222222";
  const M1 = "MIG-33333333-3333-3333-3333-333333333333";
  const LEGACY = "MIG-GPU-44444444-4444-4444-4444-444444444444/1/0";
  it.each([
    ["no GPU at all", {}, [], false, null, [], false],
    ["ds01.gpu.uuid", { "ds01.gpu.uuid": G1 }, [], false, null, [G1], true],
    ["ds01.gpu.uuids comma list (multi-GPU, not only the first)", { "ds01.gpu.uuids": `${G1}, ${G2}` }, [], false, null, [G1, G2], true],
    ["gpu_slot UUIDs are read, slot numbers are not", { "ds01.gpu_slot": `${M1},0.1` }, [], false, null, [M1], true],
    ["every DeviceRequest id", {}, [G1, M1], true, null, [G1, M1], true],
    ["labels and DeviceRequests are merged without duplicates", { "ds01.gpu.uuid": G1 }, [G1, G2], true, null, [G1, G2], true],
    ["legacy MIG UUID form", {}, [LEGACY], true, null, [LEGACY], true],
    ["count request (--gpus all) holds a GPU with no ids", {}, [], true, null, [], true],
    ["--runtime=nvidia with NVIDIA_VISIBLE_DEVICES=all", {}, [], false, "all", [], true],
    ["--runtime=nvidia with UUIDs in NVIDIA_VISIBLE_DEVICES", {}, [], false, `${G1},${M1}`, [G1, M1], true],
    ["NVIDIA_VISIBLE_DEVICES=void", {}, [], false, "void", [], false],
    ["NVIDIA_VISIBLE_DEVICES=none", {}, [], false, "none", [], false],
    ["NVIDIA_VISIBLE_DEVICES empty", {}, [], false, "", [], false],
  ] as const)("%s", (_case, labels, ids, requestsGpu, nvd, gpus, hasGpu) => {
    const id = identify(info({ labels, deviceRequestGpuIds: ids, requestsGpu, nvidiaVisibleDevices: nvd }), opts);
    expect(id.gpus).toEqual(gpus);
    expect(id.hasGpu).toBe(hasGpu);
  });

  it.each([
    ["GPU-8a3c-11", true],
    ["MIG-GPU-8a3c/1/0", true],
    ["0", false],
    ["gpu-lower", false],
    ["GPU-", false],
  ])("isGpuUuid(%s) = %s", (s, ok) => expect(isGpuUuid(s)).toBe(ok));
});

describe("infrastructure", () => {
  it.each([
    ["monitoring label", "x", { "ds01.monitoring": "true" }, "label ds01.monitoring=true"],
    ["protected label", "x", { "ds01.protected": "true" }, "label ds01.protected=true"],
    ["protected label, other spelling of true", "x", { "ds01.protected": "TRUE" }, "label ds01.protected=true"],
    ["protected=false", "x", { "ds01.protected": "false" }, null],
    ["name prefix", "ds01-prometheus", {}, "name prefix ds01-prometheus"],
    ["name prefix with suffix", "ds01-dcgm-exporter-1", {}, "name prefix ds01-dcgm-exporter"],
    ["prefix must be at the start", "my-ds01-grafana", {}, null],
    ["ordinary container", "box", { "ds01.user": "alice" }, null],
  ] as const)("%s", (_case, name, labels, reason) => {
    const id = identify(info({ name, labels }), opts);
    expect(id.infrastructureReason).toBe(reason);
    expect(id.infrastructure).toBe(reason !== null);
  });

  it("a name prefix does not make a user's own container immune; labels, root's and unowned ones still count", () => {
    const owned = identify(info({ name: "ds01-grafana._.alice", labels: { "ds01.user": "alice" } }), opts);
    expect(owned.infrastructure).toBe(false);
    expect(owned.type).not.toBe("infrastructure");
    expect(identify(info({ name: "ds01-grafana._.alice" }), opts).infrastructure).toBe(false); // owner from the name
    expect(identify(info({ name: "ds01-grafana", labels: { "ds01.user": "root" } }), opts).infrastructureReason).toBe("name prefix ds01-grafana");
    expect(identify(info({ name: "ds01-grafana-1" }), opts).infrastructureReason).toBe("name prefix ds01-grafana");
    expect(identify(info({ name: "ds01-grafana", labels: { "ds01.user": "alice", "ds01.monitoring": "true" } }), opts).infrastructure).toBe(true);
  });

  it("uses the configured protected label and prefixes", () => {
    const custom: IdentityOptions = { infrastructurePrefixes: ["lab-"], protectedLabel: "lab.keep" };
    expect(identify(info({ name: "lab-db" }), custom).infrastructureReason).toBe("name prefix lab-");
    expect(identify(info({ labels: { "lab.keep": "true" } }), custom).infrastructureReason).toBe("label lab.keep=true");
    expect(identify(info({ labels: { "ds01.protected": "true" } }), custom).infrastructure).toBe(false);
    expect(identify(info({ name: "ds01-grafana" }), custom).infrastructure).toBe(false);
    // monitoring is always infrastructure
    expect(identify(info({ labels: { "ds01.monitoring": "true" } }), custom).infrastructure).toBe(true);
  });
});

describe("the gate's ownership record", () => {
  const spoofed = info({ id: "c1", name: "ds01-grafana-x", labels: { "ds01.user": "bob", "ds01.protected": "true", "ds01.monitoring": "true", "ds01.container_type": "infrastructure" } });
  it("a non-admin's record wins over every label and name claim", () => {
    const id = identify(spoofed, { ...DEFAULT_IDENTITY_OPTIONS, gateRecord: (c) => (c === "c1" ? { user: "alice", admin: false } : null) });
    expect(id.owner).toBe("alice");
    expect(id.ownerSource).toBe("gate");
    expect(id.infrastructure).toBe(false);
    expect(id.type).not.toBe("infrastructure");
  });
  it("an admin's record keeps its labels' meaning", () => {
    const id = identify(spoofed, { ...DEFAULT_IDENTITY_OPTIONS, gateRecord: () => ({ user: "root", admin: true }) });
    expect(id.infrastructure).toBe(true);
    expect(id.owner).toBe("bob");
  });
  it("a container without a record follows the label chain", () => {
    const id = identify(spoofed, { ...DEFAULT_IDENTITY_OPTIONS, gateRecord: () => null });
    expect(id.owner).toBe("bob");
    expect(id.infrastructure).toBe(true);
  });
});
