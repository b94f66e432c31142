// MIG devices through the gate: a user who may not have a full GPU (allow_full_gpu: false) gets
// MIG devices from `docker run --gpus 1`, each weighing its profile's share of the quota; a named
// MIG device works like a named GPU; a full GPU is refused with the rule named.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { gpuUuid, h100Mig1g, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";
import { asUser, engineJson, ensureTestUsers, removeRunContainers, startGate, type GateProcess } from "./gate-harness.js";

const KATE = "ds01gt-kate";
const runId = newRunId("gate-mig");
const L = `--label ds01.test.run=${runId}`;
// UUIDs of this run only, so no other file's containers hold them.
const prefix = createHash("sha256").update(runId).digest("hex").slice(0, 8);
const migOf = (d: number) => `MIG-${prefix}-0000-4000-9000-${String(d).padStart(12, "0")}`;
let gate: GateProcess;
let fake: FakeGpus;

const docker = (args: string) => asUser(KATE, `docker ${args}`, gate.env());
const labels = async (id: string) => ((await engineJson(["inspect", id])) as { Config: { Labels: Record<string, string> }; HostConfig: { DeviceRequests: { DeviceIDs: string[] }[] } }[])[0]!;

beforeAll(async () => {
  await ensureTestUsers();
  const mig = h100Mig1g(7, 1);
  fake = await writeFakeGpuState({
    gpus: [
      { index: 0, uuid: gpuUuid(0, prefix), util: 0 },
      { ...mig, uuid: gpuUuid(1, prefix), mig_devices: mig.mig_devices!.map((m, d) => ({ ...m, uuid: migOf(d) })) },
    ],
  });
  // Two 1g.10gb devices (2/7 = 0.286) fit under 0.3 GPU-equivalents; a third does not.
  gate = await startGate({ env: fake.env, userOverrides: `${KATE}:\n  allow_full_gpu: false\n  max_gpu_equivalents: 0.3\n  max_gpu_slots_per_container: 1\n  max_containers_per_user: null\n  aggregate: null\n` });
}, 120_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await gate?.stop();
}, 60_000);

describe("MIG devices through the gate", () => {
  it("--gpus 1 gives a MIG-only user a MIG device, rewritten and labelled, until the quota is reached", async () => {
    const got: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await docker(`create ${L} --gpus 1 ${TEST_IMAGE} true`);
      expect(r.code, r.stderr).toBe(0);
      const c = await labels(r.stdout.trim());
      const uuid = c.Config.Labels["ds01.gpu.uuid"]!;
      expect(uuid).toMatch(new RegExp(`^MIG-${prefix}`));
      expect(c.HostConfig.DeviceRequests[0]!.DeviceIDs).toEqual([uuid]);
      expect(c.Config.Labels["ds01.gpu.allocated"]).toMatch(/^1\.\d$/);
      got.push(uuid);
    }
    expect(new Set(got).size).toBe(2);
    const third = await docker(`create ${L} --gpus 1 ${TEST_IMAGE} true`);
    expect(third.code).not.toBe(0);
    expect(third.stderr).toMatch(/ds01: .*0\.286 of 0\.3 GPU-equivalents \(max_gpu_equivalents\)/);
  });

  it("a named full GPU is refused with the rule; a named MIG device is refused only by the quota", async () => {
    const full = await docker(`create ${L} --gpus device=0 ${TEST_IMAGE} true`);
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/ds01: .*may not use a full GPU \(allow_full_gpu: false\)/);
    const named = await docker(`create ${L} --gpus device=1:5 ${TEST_IMAGE} true`);
    expect(named.code).not.toBe(0);
    expect(named.stderr).toMatch(/ds01: .*max_gpu_equivalents/);
  });
});
