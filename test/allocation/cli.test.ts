// ds01 create / gpu allocate|release|status end to end: the real Docker engine, the nvidia-smi
// stand-in (two full GPUs, two H100s in MIG mode with 7 × 1g.10gb each), a real config directory
// and state directory. GPU UUIDs and user names are unique to this run, so containers of other
// test files on the same engine can never look like ours.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReservationDb } from "../../src/allocation/reservation-store.js";
import type { AllocationStatus } from "../../src/allocation/status.js";
import { runCli } from "../helpers/cli.js";
import { systemClock, fixedClock, type Clock } from "../../src/util/clock.js";
import { useTestContainers } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { writeFakeGpuState, type FakeGpu, type FakeGpus } from "../helpers/fake-gpus.js";

const R = randomBytes(4).toString("hex");
const gpuU = (i: number) => `GPU-${R}-0000-4000-8000-${String(i).padStart(12, "0")}`;
const migU = (g: number, d: number) => `MIG-${R}-${String(g).padStart(4, "0")}-4000-9000-${String(d).padStart(12, "0")}`;
const user = (name: string) => `${name}_${R}`;

function full(i: number): FakeGpu {
  return { index: i, uuid: gpuU(i), name: "NVIDIA A100-SXM4-80GB", util: 0, memory_used_mib: 0, memory_total_mib: 81920, mig_mode: "Disabled", mig_devices: [], processes: [] };
}
function mig(i: number): FakeGpu {
  return {
    index: i,
    uuid: gpuU(i),
    name: "NVIDIA H100 80GB HBM3",
    util: null,
    memory_used_mib: 59,
    memory_total_mib: 81559,
    mig_mode: "Enabled",
    mig_devices: Array.from({ length: 7 }, (_, d) => ({ index: d, profile: "1g.10gb", gi: 7 + d, ci: 0, uuid: migU(i, d), memory_used_mib: 9, memory_total_mib: 9984 })),
    processes: [],
  };
}

const LIMITS = `default_group: std
defaults:
  max_gpu_equivalents: 1.0
  max_gpu_slots_per_container: 2
  allow_full_gpu: true
  max_cpus: 1
  memory: 256m
  memory_swap: 512m
  shm_size: 64m
  pids_limit: 256
  max_containers_per_user: 3
groups:
  std:
    max_gpu_equivalents: 1.0
  mig:
    max_gpu_equivalents: 0.5
    allow_full_gpu: false
    max_containers_per_user: 10
    members: [${user("migu")}]
  capped:
    max_gpu_equivalents: 4.0
    max_gpu_slots_per_container: 2
    members: [${user("capu")}]
  few:
    max_containers_per_user: 2
    members: [${user("fewu")}]
`;

// Every command lists every container on the engine (other test files' too); on a busy 2-core
// machine one listing can take seconds, hence the long per-test timeouts.
const tc = useTestContainers("alloc");
const docker = new Dockerode();
let fake: FakeGpus;
let configDir: string;
let stateDir: string;

beforeAll(async () => {
  fake = await writeFakeGpuState({ gpus: [full(0), full(1), mig(2), mig(3)] });
  configDir = mkdtempSync(join(tmpdir(), "ds01-alloc-config-"));
  writeFileSync(join(configDir, "resource-limits.yaml"), LIMITS);
  stateDir = mkdtempSync(join(tmpdir(), "ds01-alloc-state-"));
});

afterAll(() => {
  rmSync(configDir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

function ds01(args: string[], opts: { uid?: number; userName?: string; clock?: Clock } = {}) {
  return runCli(["--config", configDir, "--state-dir", stateDir, ...args], {
    env: { ...process.env, ...fake.env, DS01_CONFIG_DIR: "" },
    clock: opts.clock ?? systemClock,
    uid: opts.uid ?? 0,
    userName: opts.userName ?? "root",
  });
}

async function allocate(u: string, container: string, ask: string[], clock?: Clock) {
  return ds01(["gpu", "allocate", "--user", u, "--container", container, ...ask, "--json"], { clock });
}

async function status(clock?: Clock): Promise<AllocationStatus> {
  const r = await ds01(["gpu", "status", "--json"], { clock });
  expect(r.err).toBe("");
  return JSON.parse(r.out) as AllocationStatus;
}

const errLine = (msg: string) => `ds01: ${msg}\n`;

describe("ds01 gpu allocate: quota layers", { timeout: 300_000 }, () => {
  it("three 1g.10gb MIG devices weigh 3/7; a fourth would exceed 0.5", async () => {
    const u = user("migu");
    for (const c of ["m1", "m2", "m3"]) {
      const r = await allocate(u, c, ["--mig", "1g.10gb"]);
      expect(r.code, r.err).toBe(0);
      const j = JSON.parse(r.out) as { user: string; container: string; uuids: string[]; gpu_equivalent: number };
      expect(j).toMatchObject({ user: u, container: c });
      expect(j.uuids).toHaveLength(1);
      expect(j.uuids[0]).toMatch(/^MIG-/);
      expect(j.gpu_equivalent).toBeCloseTo(1 / 7, 9);
    }
    const r = await allocate(u, "m4", ["--mig", "1g.10gb"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      errLine(`${u} holds 0.429 of 0.5 GPU-equivalents (max_gpu_equivalents): containers m1, m2, m3; the lightest free slot weighs 0.143 and only 0.071 remain`),
    );
    const s = await status();
    expect(s.users.find((x) => x.user === u)).toMatchObject({ limit_gpu_equivalents: 0.5, gpu_containers: ["m1", "m2", "m3"] });
    expect(s.users.find((x) => x.user === u)!.held_gpu_equivalents).toBeCloseTo(3 / 7, 9);
  });

  it("allow_full_gpu=false: --prefer-full is refused", async () => {
    const r = await allocate(user("migu"), "f1", ["--gpus", "1", "--prefer-full"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(errLine(`${user("migu")} may not use a full GPU (allow_full_gpu: false); ask for MIG devices instead`));
  });

  it("per-container cap", async () => {
    const r = await allocate(user("capu"), "big", ["--gpus", "3"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(errLine(`${user("capu")} asked for 3 GPU slots in one container; the limit is 2 (max_gpu_slots_per_container)`));
  });

  it("a stopped container still holds its GPU, for its owner's quota and for everyone's choice", async () => {
    const u = user("stopu");
    const c = await tc.create({ name: `stopped-${R}`, labels: { "ds01.user": u }, gpus: [gpuU(0)], state: "exited" });
    const s = await status();
    expect(s.slots.find((x) => x.uuid === gpuU(0))).toMatchObject({ status: "held", holders: [{ user: u, container: c.name, state: "exited", source: "container" }] });
    const mine = await allocate(u, "more", ["--gpus", "1"]);
    expect(mine.code).toBe(1);
    expect(mine.err).toBe(errLine(`${u} holds 1.0 of 1.0 GPU-equivalents (max_gpu_equivalents): containers ${c.name}`));
    const other = await allocate(user("capu"), "full", ["--gpus", "1", "--prefer-full"]);
    expect(other.code, other.err).toBe(0);
    expect(JSON.parse(other.out).uuids).toEqual([gpuU(1)]);
  });

  it("max containers per user counts stopped containers and reservations", async () => {
    const u = user("fewu");
    const c = await tc.create({ name: `few-${R}`, labels: { "ds01.user": u }, state: "exited" });
    expect((await allocate(u, "r1", ["--mig", "1g.10gb"])).code).toBe(0);
    const r = await allocate(u, "r2", ["--mig", "1g.10gb"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(errLine(`${u} has 2 of 2 containers (max_containers_per_user): ${[c.name, "r1"].sort().join(", ")}`));
  });

  it("a non-root caller cannot allocate for someone else", async () => {
    const r = await ds01(["gpu", "allocate", "--user", user("bob"), "--container", "x", "--json"], { uid: 1000, userName: user("eve") });
    expect(r.code).toBe(1);
    expect(r.err).toBe(errLine(`only root may act for another user (you are ${user("eve")}, asked for ${user("bob")})`));
  });
});

describe("reservation lifecycle", { timeout: 300_000 }, () => {
  it("a reservation nobody turns into a container (a crashed creator) expires and frees its slot", async () => {
    const t0 = Date.now();
    const clock = fixedClock(t0);
    const r = await allocate(user("crash"), "never", ["--mig", "1g.10gb"], clock);
    expect(r.code, r.err).toBe(0);
    const uuid = (JSON.parse(r.out) as { uuids: string[] }).uuids[0]!;
    expect((await status(clock)).slots.find((s) => s.uuid === uuid)).toMatchObject({ status: "reserved" });
    clock.set(t0 + 121_000);
    expect((await status(clock)).slots.find((s) => s.uuid === uuid)).toMatchObject({ status: "free", holders: [] });
  });

  it("gpu allocate is idempotent per container, and gpu release drops it (exit 0 also when there is none)", async () => {
    const u = user("relu");
    const a = await allocate(u, "r1", ["--mig", "1g.10gb"]);
    const b = await allocate(u, "r1", ["--mig", "1g.10gb"]);
    expect(JSON.parse(b.out)).toMatchObject({ uuids: JSON.parse(a.out).uuids, already_reserved: true });
    const rel = await ds01(["gpu", "release", "--container", "r1", "--user", u]);
    expect(rel).toMatchObject({ code: 0, err: "" });
    expect(rel.out).toBe(`released the reservation for r1: ${JSON.parse(a.out).uuids[0]}\n`);
    const again = await ds01(["gpu", "release", "--container", "r1", "--user", u]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^no reservation for r1: nothing to release/);
    // fewu's reservation under the same bare name is not someone else's to release.
    expect((await status()).users.find((x) => x.user === user("fewu"))!.gpu_containers).toContain("r1");
  });
});

describe("ds01 create", { timeout: 300_000 }, () => {
  it("creates and starts a container with the user's limits, the GPU DeviceRequest and the labels", async () => {
    const u = user("creu");
    const r = await ds01(["create", "--user", u, "--gpus", "1", "--image", TEST_IMAGE, "--name", "job", "--start", "--label", `ds01.test.run=${tc.runId}`, "--json", "--", "sleep", "300"]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { id: string; name: string; uuids: string[]; started: boolean };
    expect(j).toMatchObject({ name: `job._.${u}`, started: true });
    const info = await docker.getContainer(j.id).inspect();
    expect(info.Name).toBe(`/job._.${u}`);
    expect(info.State.Running).toBe(true);
    expect(info.Config.Cmd).toEqual(["sleep", "300"]);
    expect(info.Config.Labels).toMatchObject({
      "ds01.user": u,
      "ds01.managed": "true",
      "ds01.container_type": "atomic",
      "ds01.interface": "atomic",
      "ds01.gpu.uuid": j.uuids[0],
    });
    expect(info.Config.Labels["ds01.gpu.allocated"]).toMatch(/^\d+(\.\d+)?$/);
    expect(Date.parse(info.Config.Labels["ds01.gpu.allocated_at"]!)).not.toBeNaN();
    expect(Date.parse(info.Config.Labels["ds01.created_at"]!)).not.toBeNaN();
    expect(info.HostConfig).toMatchObject({ NanoCpus: 1e9, Memory: 256 * 1024 ** 2, MemorySwap: 512 * 1024 ** 2, ShmSize: 64 * 1024 ** 2, PidsLimit: 256 });
    expect(info.HostConfig.DeviceRequests).toEqual([expect.objectContaining({ Driver: "nvidia", DeviceIDs: j.uuids, Capabilities: [["gpu"]] })]);
    // The reservation is confirmed with the container id; the container's labels hold the slot.
    const rdb = openReservationDb(stateDir);
    try {
      expect(rdb.store.forContainer(`job._.${u}`).map((x) => [x.state, x.containerId])).toEqual([["confirmed", j.id]]);
    } finally {
      rdb.close();
    }
    const s = await status();
    expect(s.slots.find((x) => x.uuid === j.uuids[0])!.holders).toEqual([expect.objectContaining({ user: u, container: `job._.${u}`, source: "container" })]);
  });

  it("a failed creation (no such image) releases the reservation", async () => {
    const u = user("failu");
    const r = await ds01(["create", "--user", u, "--gpus", "1", "--image", "ds01-no-such-image:nope", "--name", "bad", "--label", `ds01.test.run=${tc.runId}`]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no such image|not found|404/i);
    const rdb = openReservationDb(stateDir);
    try {
      expect(rdb.store.all().filter((x) => x.user === u)).toEqual([]);
    } finally {
      rdb.close();
    }
    expect((await status()).users.find((x) => x.user === u)).toBeUndefined();
  });

  it("adopts the reservation `gpu allocate` made for the same name", async () => {
    const u = user("adu");
    const a = await allocate(u, "job2", ["--mig", "1g.10gb"]);
    expect(a.code, a.err).toBe(0);
    const r = await ds01(["create", "--user", u, "--mig", "1g.10gb", "--image", TEST_IMAGE, "--name", "job2", "--label", `ds01.test.run=${tc.runId}`, "--json"]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).uuids).toEqual(JSON.parse(a.out).uuids);
  });

  it("refuses labels that ds01 owns (no owner spoofing)", async () => {
    const r = await ds01(["create", "--user", user("spoof"), "--image", TEST_IMAGE, "--label", "ds01.user=root"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(errLine("labels ds01.user are set by ds01 and cannot be given"));
  });
});
