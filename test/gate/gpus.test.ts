// `docker run --gpus` through the gate, as non-admin users, against the nvidia-smi stand-in:
// each GPU create is allocated by ds01's allocator, rewritten to explicit UUIDs and labelled; the
// quota and the per-container cap hold; picking GPUs by hand is refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { gpuUuid, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { openReservationDbReadonly } from "../../src/allocation/reservation-store.js";
import { auditEvents } from "../daemon/daemon-process.js";
import { asUser, engineJson, ensureTestUsers, removeRunContainers, startGate, type GateProcess } from "./gate-harness.js";

const ALICE = "ds01gt-alice";
const BOB = "ds01gt-bob";
const CAROL = "ds01gt-carol";
const runId = newRunId("gate-gpu");
const L = `--label ds01.test.run=${runId}`;
let gate: GateProcess;
let fake: FakeGpus;
const GPUS = [gpuUuid(0, "a1a1a1a1"), gpuUuid(1, "a1a1a1a1"), gpuUuid(2, "a1a1a1a1")];

const docker = (user: string, args: string) => asUser(user, `docker ${args}`, gate.env());

interface Inspected {
  Config: { Labels: Record<string, string>; Env: string[] };
  HostConfig: { DeviceRequests: { Driver: string; Count: number; DeviceIDs: string[] }[] | null; NanoCpus: number; Memory: number; MemorySwap: number; ShmSize: number; PidsLimit: number; Runtime: string };
}
const sh = (cmd: string, args: string[]) => execFileWithTimeout(cmd, args, { timeoutMs: 30_000 });
const inspect = async (id: string) => ((await engineJson(["inspect", id])) as Inspected[])[0]!;

beforeAll(async () => {
  await ensureTestUsers();
  fake = await writeFakeGpuState({ gpus: GPUS.map((uuid, index) => ({ index, uuid, util: 0 })) });
  gate = await startGate({
    env: fake.env,
    userOverrides:
      `${ALICE}:\n  max_gpu_equivalents: 2\n  max_gpu_slots_per_container: 2\n  max_containers_per_user: null\n` +
      `${BOB}:\n  max_gpu_equivalents: 1\n  max_gpu_slots_per_container: 1\n  max_containers_per_user: null\n` +
      `${CAROL}:\n  max_cpus: 1\n  memory: 256m\n  memory_swap: 512m\n  shm_size: 64m\n  pids_limit: 100\n  max_containers_per_user: 2\n`,
  });
}, 120_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await gate?.stop();
}, 60_000);

describe("GPU creates through the gate", () => {
  let first = "";
  it("--gpus 1 is allocated, rewritten to its UUID and labelled", async () => {
    const r = await docker(ALICE, `create ${L} --gpus 1 ${TEST_IMAGE} true`);
    expect(r.code, r.stderr).toBe(0);
    first = r.stdout.trim();
    const c = await inspect(first);
    const uuid = c.Config.Labels["ds01.gpu.uuid"]!;
    expect(GPUS).toContain(uuid);
    expect(c.HostConfig.DeviceRequests).toEqual([expect.objectContaining({ Driver: "nvidia", Count: 0, DeviceIDs: [uuid] })]);
    expect(c.Config.Env).toContain(`NVIDIA_VISIBLE_DEVICES=${uuid}`);
    expect(c.Config.Labels["ds01.user"]).toBe(ALICE);
  });

  it("another user's --gpus 1 gets another GPU", async () => {
    const r = await docker(BOB, `create ${L} --gpus 1 ${TEST_IMAGE} true`);
    expect(r.code, r.stderr).toBe(0);
    const mine = (await inspect(first)).Config.Labels["ds01.gpu.uuid"];
    const his = (await inspect(r.stdout.trim())).Config.Labels["ds01.gpu.uuid"];
    expect(his).toBeDefined();
    expect(his).not.toBe(mine);
  });

  it("a request over the quota is refused with the quota named", async () => {
    const r = await docker(BOB, `create ${L} --gpus 1 ${TEST_IMAGE} true`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ds01: .*(GPU-equivalent|quota|max_gpu)/i);
  });

  it("records each GPU decision: a grant with the container it went to (or none, when dockerd refused the create, and then frees it), a refusal", async () => {
    const named = `${runId}-named`;
    expect((await docker(ALICE, `create ${L} --name ${named} ${TEST_IMAGE} true`)).code).toBe(0);
    // The same name again, now with a GPU: allocated, then dockerd refuses the create (409, name in use).
    const dup = await docker(ALICE, `create ${L} --name ${named} --gpus 1 ${TEST_IMAGE} true`);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/already in use/);
    const grants = auditEvents(gate.stateDir, "gpu.allocate").filter((e) => e.user === ALICE);
    expect(grants.map((e) => e.containerId)).toEqual([first, null]);
    expect(grants[0]!.details.uuids).toEqual([(await inspect(first)).Config.Labels["ds01.gpu.uuid"]]);
    const creates = auditEvents(gate.stateDir, "gate.create").filter((e) => e.containerId === first);
    expect(creates).toHaveLength(1);
    expect(auditEvents(gate.stateDir, "gpu.reject").some((e) => e.user === BOB && String(e.details.reason).startsWith("quota_"))).toBe(true);
    // The refused create's GPU is free again: alice holds one reservation, first's.
    const db = openReservationDbReadonly(gate.stateDir);
    try {
      expect(new Set(db.store.all().filter((r) => r.user === ALICE).map((r) => r.requestId)).size).toBe(1);
    } finally {
      db.close();
    }
  });

  it("--gpus all means the caller's per-container cap", async () => {
    const r = await docker(ALICE, `create ${L} --gpus all ${TEST_IMAGE} true`);
    // alice holds 1 of 2 GPU-equivalents: a cap of 2 does not fit, and the refusal says what all meant.
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--gpus all means your per-container cap, 2/);
  });

  it("a named device is given when it is free and within quota, in every form; a taken one is refused naming its holder", async () => {
    const ids = (await sh("docker", ["ps", "-aq", "--filter", `label=ds01.test.run=${runId}`])).stdout.toString().split("\n").filter(Boolean);
    const holders = new Map<string, string>();
    for (const id of ids) {
      const c = await inspect(id);
      if (c.Config.Labels["ds01.gpu.uuid"]) holders.set(c.Config.Labels["ds01.gpu.uuid"], c.Config.Labels["ds01.user"]!);
    }
    const bobs = GPUS.findIndex((u) => holders.get(u) === BOB);
    const free = GPUS.findIndex((u) => !holders.has(u));
    expect(bobs).toBeGreaterThanOrEqual(0);
    expect(free).toBeGreaterThanOrEqual(0);

    const taken = await docker(ALICE, `create ${L} --gpus device=${bobs} ${TEST_IMAGE} true`);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toMatch(new RegExp(`ds01: GPU device ${bobs} \\(${bobs}\\) is taken by ${BOB}'s .*\\(--gpus device=${bobs}\\)`));

    // --runtime=nvidia needs a runtime of that name on the engine (scripts/test-env.sh registers runc as "nvidia").
    const nvidiaRuntime = (await sh("docker", ["info", "--format", "{{json .Runtimes}}"])).stdout.toString().includes('"nvidia"');
    const forms = [`--gpus '"device=${free}"'`, `--gpus device=${GPUS[free]}`, `-e NVIDIA_VISIBLE_DEVICES=${free}`, `--device /dev/nvidia${free}`];
    if (nvidiaRuntime) forms.push(`--runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=${free}`);
    else console.warn("this engine has no nvidia runtime: --runtime=nvidia is not tested");
    for (const args of forms) {
      const r = await docker(ALICE, `create ${L} ${args} ${TEST_IMAGE} true`);
      expect(r.code, `${args}: ${r.stderr}`).toBe(0);
      const c = await inspect(r.stdout.trim());
      expect(c.HostConfig.Runtime, args).toBe(args.startsWith("--runtime=nvidia") ? "nvidia" : "runc");
      expect(c.HostConfig.DeviceRequests, args).toEqual([expect.objectContaining({ DeviceIDs: [GPUS[free]] })]);
      expect(c.Config.Env, args).toContain(`NVIDIA_VISIBLE_DEVICES=${GPUS[free]}`);
      expect(c.Config.Labels["ds01.gpu.uuid"], args).toBe(GPUS[free]);
      expect((c.HostConfig as { Devices?: unknown[] | null }).Devices ?? [], args).toEqual([]);
      await sh("docker", ["rm", "-f", r.stdout.trim()]); // free again for the next form...
      // ...once its reservation's listing slack (1 s after confirmation) is over: until then a
      // container that was just confirmed may merely be missing from a listing, so it still counts.
      await new Promise((done) => setTimeout(done, 1200));
    }
    // bob is at his quota: even a free device is refused, with the quota named.
    const over = await docker(BOB, `create ${L} --gpus device=${free} ${TEST_IMAGE} true`);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/ds01: .*max_gpu_equivalents/);
  });

  it("a create without GPUs cannot see any through the image's environment", async () => {
    const r = await docker(ALICE, `create ${L} ${TEST_IMAGE} true`);
    expect(r.code, r.stderr).toBe(0);
    expect((await inspect(r.stdout.trim())).Config.Env).toContain("NVIDIA_VISIBLE_DEVICES=void");
  });

  it("a GPU added to the layout is used once the gate is told (SIGHUP), not from a reading up to a minute old", async () => {
    const added = gpuUuid(3, "a1a1a1a1");
    await fake.update((s) => ({ ...s, gpus: [...s.gpus, { index: 3, uuid: added, util: 0 }] }));
    const before = await docker(ALICE, `create ${L} --gpus device=${added} ${TEST_IMAGE} true`);
    expect(before.code).not.toBe(0);
    gate.child.kill("SIGHUP");
    await new Promise((r) => setTimeout(r, 200));
    const after = await docker(ALICE, `create ${L} --gpus device=${added} ${TEST_IMAGE} true`);
    expect(after.code, after.stderr).toBe(0);
    expect((await inspect(after.stdout.trim())).Config.Labels["ds01.gpu.uuid"]).toBe(added);
    await sh("docker", ["rm", "-f", after.stdout.trim()]);
  });

  it("ds01 counts the gate's allocations: gpu status shows them held", async () => {
    const { execFileWithTimeout } = await import("../../src/util/exec.js");
    const r = await execFileWithTimeout(process.execPath, [`${import.meta.dirname}/../../bin/ds01.js`, "--config", gate.configDir, "--state-dir", gate.stateDir, "gpu", "status", "--json"], {
      timeoutMs: 60_000,
      env: { ...process.env, ...fake.env, DS01_ALLOCATION_BROKER: "off" },
    });
    const text = r.stdout.toString();
    expect(text).toContain(ALICE);
    expect(text).toContain(BOB);
  });
});

describe("the owner's limits at admission", () => {
  it("fills in cpus, memory, swap, shm and pids when the create sets none", async () => {
    const r = await docker(CAROL, `create ${L} ${TEST_IMAGE} true`);
    expect(r.code, r.stderr).toBe(0);
    const hc = (await inspect(r.stdout.trim())).HostConfig;
    expect(hc.NanoCpus).toBe(1e9);
    expect(hc.Memory).toBe(256 * 1024 ** 2);
    expect(hc.MemorySwap).toBe(512 * 1024 ** 2);
    expect(hc.ShmSize).toBe(64 * 1024 ** 2);
    expect(hc.PidsLimit).toBe(100);
  });

  it("keeps a request within the limits, and refuses one above with the limit named", async () => {
    const ok = await docker(CAROL, `create ${L} --memory 128m --cpus 0.5 ${TEST_IMAGE} true`);
    expect(ok.code, ok.stderr).toBe(0);
    const hc = (await inspect(ok.stdout.trim())).HostConfig;
    expect(hc.Memory).toBe(128 * 1024 ** 2);
    expect(hc.NanoCpus).toBe(5e8);
    for (const [args, why] of [["--memory 1g", /above your limit of 256m \(memory\)/], ["--cpus 2", /limit of 1 \(max_cpus\)/], ["--shm-size 1g", /shm_size/], ["--pids-limit 1000", /pids_limit/], ["--memory 128m --memory-swap -1", /memory_swap/]] as const) {
      const r = await docker(CAROL, `create ${L} ${args} ${TEST_IMAGE} true`);
      expect(r.code, args).not.toBe(0);
      expect(r.stderr, args).toMatch(why);
    }
  });

  it("a classic docker build runs its steps under the same limits and the user's cgroup parent", async () => {
    const tag = `ds01gt-build-${runId}:limits`;
    const dockerfile = `FROM ${TEST_IMAGE}\nRUN cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /proc/self/cgroup\n`;
    try {
      const r = await asUser(CAROL, `printf '${dockerfile}' | DOCKER_BUILDKIT=0 docker build --no-cache -t ${tag} -`, gate.env(), 180_000);
      expect(r.code, r.stderr).toBe(0);
      const out = r.stdout.split("\n").map((l) => l.trim());
      expect(out).toContain(String(256 * 1024 ** 2)); // memory
      expect(out).toContain("100000"); // 1 CPU as a CFS quota
      expect(r.stdout).toMatch(new RegExp(`memory:/ds01/[^\\n]*${CAROL.replace(/[^A-Za-z0-9_]/g, "_")}`)); // under carol's parent
      const over = await asUser(CAROL, `printf 'FROM ${TEST_IMAGE}\n' | DOCKER_BUILDKIT=0 docker build --memory 1g -t ${tag} -`, gate.env(), 120_000);
      expect(over.code).not.toBe(0);
      expect(over.stderr).toMatch(/ds01: docker build: --memory 1g is above your limit of 256m \(memory\)/);
    } finally {
      await sh("docker", ["rmi", "-f", tag]);
    }
  }, 240_000);

  it("max_containers_per_user counts the caller's containers", async () => {
    // carol has 2 from the tests above; her limit is 2.
    const r = await docker(CAROL, `create ${L} ${TEST_IMAGE} true`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/you have 2 containers and may have 2 \(max_containers_per_user\)/);
  });
});
