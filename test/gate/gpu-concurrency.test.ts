// 100 GPU creates at once through the gate, from three users, against 8 GPUs: no GPU is given
// twice and no user gets more than their quota, whatever the interleaving.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { gpuUuid, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";
import { asUser, engineJson, ensureTestUsers, removeRunContainers, startGate, type GateProcess } from "./gate-harness.js";

const runId = newRunId("gate-gpu-race");
const USERS = { "ds01gt-dave": 3, "ds01gt-erin": 2, "ds01gt-frank": 4 } as const; // quota in GPU-equivalents
let gate: GateProcess;
let fake: FakeGpus;

beforeAll(async () => {
  await ensureTestUsers();
  fake = await writeFakeGpuState({ gpus: Array.from({ length: 8 }, (_, i) => ({ index: i, uuid: gpuUuid(i, "c0c0c0c0"), util: 0 })) });
  const overrides = Object.entries(USERS)
    .map(([u, q]) => `${u}:\n  max_gpu_equivalents: ${q}\n  max_gpu_slots_per_container: 1\n  max_containers_per_user: null\n  aggregate: null\n`)
    .join("");
  gate = await startGate({ env: fake.env, userOverrides: overrides });
}, 120_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await gate?.stop();
}, 120_000);

it("100 concurrent GPU creates: no GPU twice, no quota exceeded", async () => {
  const script = join(import.meta.dirname, "concurrent-creates.mjs");
  const counts = [34, 33, 33];
  const results = await Promise.all(
    Object.keys(USERS).map((u, i) => asUser(u, `${process.execPath} ${script} ${gate.socket} ${TEST_IMAGE} ${runId} ${counts[i]} 1`, {}, 300_000)),
  );
  const created: Record<string, string[]> = {};
  Object.keys(USERS).forEach((u, i) => {
    const out = JSON.parse(results[i]!.stdout) as { created: string[]; refused: string[] };
    created[u] = out.created;
    for (const m of out.refused) expect(m).toMatch(/^403 ds01: /); // refusals are quota/capacity answers, never errors
  });
  const ids = Object.values(created).flat();
  expect(ids.length).toBeGreaterThan(0);
  const inspected = (await engineJson(["inspect", ...ids])) as { Id: string; Config: { Labels: Record<string, string> } }[];
  const holder = new Map<string, string>();
  for (const c of inspected) {
    const uuid = c.Config.Labels["ds01.gpu.uuid"]!;
    expect(uuid, c.Id).toMatch(/^GPU-c0c0c0c0/);
    expect(holder.has(uuid), `${uuid} given to ${holder.get(uuid)} and ${c.Id}`).toBe(false);
    holder.set(uuid, c.Id);
  }
  for (const [u, quota] of Object.entries(USERS)) expect(created[u]!.length, u).toBeLessThanOrEqual(quota);
  expect(ids.length).toBeLessThanOrEqual(8);
  // With 9 GPU-equivalents of quota and 8 GPUs, every GPU ends up used.
  expect(ids.length).toBe(8);
}, 400_000);
