// GPUs asked for by real clients' own syntax, through the gate, as a test user: a compose file
// with a GPU reservation (docker-compose 1.29) and a dev container with `--gpus` in `runArgs`
// (@devcontainers/cli). Each is allocated, rewritten to a UUID and counted against the quota.
import { createHash } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/constants/labels.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { gpuUuid, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";
import { asUser, engineJson, ensureTestUsers, removeRunContainers, startGate, type GateProcess } from "./gate-harness.js";

const LEO = "ds01gt-leo";
const HOME = `/home/${LEO}`;
const DEVCONTAINER_CLI = join(import.meta.dirname, "../../node_modules/.bin/devcontainer");
const runId = newRunId("gate-gpu-cli");
const project = `ds01gt${runId.replace(/[^a-z0-9]/g, "")}`;
const prefix = createHash("sha256").update(runId).digest("hex").slice(0, 8);
const GPUS = [gpuUuid(0, prefix), gpuUuid(1, prefix)];
const dirs = [join(HOME, `ds01gt-compose-${runId}`), join(HOME, `ds01gt-dc-${runId}`)];
let gate: GateProcess;
let fake: FakeGpus;

interface Inspected {
  Config: { Labels: Record<string, string> };
  HostConfig: { DeviceRequests: { DeviceIDs: string[] }[] | null };
}
const inspect = async (id: string) => ((await engineJson(["inspect", id])) as Inspected[])[0]!;
const runContainers = async () =>
  (await execFileWithTimeout("docker", ["ps", "-aq", "--no-trunc", "--filter", `label=${LABEL.testRun}=${runId}`], { timeoutMs: 30_000 })).stdout.toString().split("\n").filter(Boolean);

async function ownDir(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const uid = Number((await execFileWithTimeout("id", ["-u", LEO], { timeoutMs: 10_000 })).stdout.toString());
  const gid = Number((await execFileWithTimeout("id", ["-g", LEO], { timeoutMs: 10_000 })).stdout.toString());
  chownSync(dir, uid, gid);
}

beforeAll(async () => {
  await ensureTestUsers();
  fake = await writeFakeGpuState({ gpus: GPUS.map((uuid, index) => ({ index, uuid, util: 0 })) });
  gate = await startGate({ env: fake.env, userOverrides: `${LEO}:\n  max_gpu_equivalents: 1\n  max_gpu_slots_per_container: 1\n  max_containers_per_user: null\n  aggregate: null\n` });
}, 120_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await gate?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe("GPUs in clients' own syntax", () => {
  it("a compose file's GPU reservation is allocated; a second GPU service is over the quota", async () => {
    const dir = dirs[0]!;
    await ownDir(dir);
    const service = (name: string) =>
      `  ${name}:\n    image: ${TEST_IMAGE}\n    command: ["sleep", "600"]\n    labels:\n      ${LABEL.testRun}: "${runId}"\n` +
      `    deploy:\n      resources:\n        reservations:\n          devices:\n            - driver: nvidia\n              count: 1\n              capabilities: [gpu]\n`;
    writeFileSync(join(dir, "one.yml"), `version: "3.8"\nservices:\n${service("train")}`);
    writeFileSync(join(dir, "two.yml"), `version: "3.8"\nservices:\n${service("more")}`);
    const compose = (file: string, cmd: string) => asUser(LEO, `cd ${dir} && docker-compose -f ${file} -p ${project} ${cmd}`, gate.env(), 180_000);
    const up = await compose("one.yml", "up -d");
    expect(up.code, up.stderr).toBe(0);
    const [id] = await runContainers();
    const c = await inspect(id!);
    expect(GPUS).toContain(c.Config.Labels[LABEL.gpuUuid]);
    expect(c.HostConfig.DeviceRequests?.[0]?.DeviceIDs).toEqual([c.Config.Labels[LABEL.gpuUuid]]);
    expect(c.Config.Labels[LABEL.user]).toBe(LEO);
    const over = await compose("two.yml", "up -d");
    expect(over.code).not.toBe(0);
    expect(`${over.stdout}${over.stderr}`).toMatch(/ds01: .*1\.0 of 1\.0 GPU-equivalents \(max_gpu_equivalents\)/);
    const down = await compose("one.yml", "down -t 1");
    expect(down.code, down.stderr).toBe(0);
  }, 300_000);

  it("a dev container with --gpus in runArgs gets an allocated GPU", async () => {
    const dir = dirs[1]!;
    await ownDir(dir);
    await ownDir(join(dir, ".devcontainer"));
    writeFileSync(join(dir, ".devcontainer", "devcontainer.json"), JSON.stringify({ name: "gpu", image: TEST_IMAGE, overrideCommand: true, runArgs: ["--gpus", "1"] }));
    const up = await asUser(LEO, `${DEVCONTAINER_CLI} up --workspace-folder ${dir} --id-label ${LABEL.testRun}=${runId}`, gate.env(), 240_000);
    expect(up.code, up.stderr).toBe(0);
    const outcome = JSON.parse(up.stdout.trim().split("\n").pop()!) as { outcome: string; containerId: string };
    expect(outcome.outcome).toBe("success");
    const c = await inspect(outcome.containerId);
    expect(GPUS).toContain(c.Config.Labels[LABEL.gpuUuid]);
    expect(c.HostConfig.DeviceRequests?.[0]?.DeviceIDs).toEqual([c.Config.Labels[LABEL.gpuUuid]]);
  }, 300_000);
});
