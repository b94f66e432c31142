// DS01_SCOPE_LABEL narrows what the janitor judges, never what allocation sees: a GPU held by a
// container outside the scope is not handed out by the daemon's broker. Real child daemon, real
// engine, the nvidia-smi stand-in with a GPU of this file's own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestContainers } from "../helpers/containers.js";
import { fullGpus, gpuUuid, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";
import { auditEvents, childOutput, daemonDirs, ensureBuilt, spawnDs01, startDaemon, type DaemonChild, type DaemonDirs } from "./daemon-process.js";

const GPU = gpuUuid(0, "a0702222");
const inScope = useTestContainers("scoped");
// Its own test-run label: outside the daemon's scope, and still removed by this file.
const outside = useTestContainers("unscoped");
let dirs: DaemonDirs;
let gpus: FakeGpus;
let d: DaemonChild | null = null;

beforeAll(async () => {
  await ensureBuilt();
  gpus = await writeFakeGpuState({ gpus: fullGpus(1).map((g) => ({ ...g, uuid: GPU })) });
  dirs = await daemonDirs();
}, 200_000);

afterAll(async () => {
  await d?.stop("SIGKILL");
});

describe("the broker of a scoped daemon", { timeout: 120_000 }, () => {
  it("sees the containers outside the scope: their GPUs are held", async () => {
    const holder = await outside.create({ labels: { "ds01.user": "ds01sc-owner" }, gpus: [GPU] });
    d = await startDaemon({ ...dirs, env: gpus.env, runId: inScope.runId });
    expect(await d.waitForLog((l) => l.msg === "allocation broker listening", 30_000)).not.toBeNull();
    expect(await d.waitForLog((l) => l.msg === "pass finished", 30_000)).not.toBeNull();

    const r = await childOutput(spawnDs01({ ...dirs, runId: inScope.runId, env: gpus.env }, ["gpu", "allocate", "--user", "ds01sc-bob", "--container", "b1", "--json"]), 60_000);
    expect(r.code, r.out).toBe(1);
    expect(r.out).not.toContain(GPU);
    // Decided by the daemon's broker (not a fallback listing of the caller's own).
    const rejected = auditEvents(dirs.stateDir, "gpu.reject").filter((e) => e.container === "b1");
    expect(rejected.map((e) => e.details.decided_from)).toEqual(["daemon"]);
    await holder.remove();
  });
});
