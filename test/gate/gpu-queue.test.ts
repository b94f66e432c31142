// The GPU queue through the gate, with real clients as test users: a GPU create that fits its
// quota but finds both GPUs taken waits instead of failing; waiting creates are served round-robin
// across users, when Docker reports a holder removed (not by a periodic re-check); a client that
// hangs up leaves the queue; a wait that runs out says who holds the GPUs.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { gpuUuid, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";
import { auditEvents } from "../daemon/daemon-process.js";
import { readQueueSnapshot } from "../../src/gate/queue-snapshot.js";
import { asUser, engineJson, ensureTestUsers, removeRunContainers, startGate, type GateProcess, type RunResult } from "./gate-harness.js";
import { execFileWithTimeout } from "../../src/util/exec.js";

const HENRY = "ds01gt-henry"; // holds the GPUs
const IVY = "ds01gt-ivy";
const JACK = "ds01gt-jack";
const runId = newRunId("gate-queue");
const L = `--label ds01.test.run=${runId}`;
// GPU UUIDs of this run only: a container an earlier, interrupted run left behind holds none of them.
const prefix = createHash("sha256").update(runId).digest("hex").slice(0, 8);
const GPUS = [gpuUuid(0, prefix), gpuUuid(1, prefix)];
let gate: GateProcess;
let fake: FakeGpus;

const docker = (user: string, args: string, timeoutMs = 120_000) => asUser(user, `docker ${args}`, gate.env(), timeoutMs);

async function until<T>(what: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out; queue: ${JSON.stringify(await readQueueSnapshot(gate.stateDir))}; gate log:\n${gate.log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const waiting = async () => (await readQueueSnapshot(gate.stateDir))?.waiting.map((w) => `${w.user}:${w.container}`) ?? [];
const waitingIs = (n: number) => until(async () => ((await waiting()).length === n ? true : null));
const removeAsRoot = (id: string) => execFileWithTimeout("docker", ["rm", "-f", id], { timeoutMs: 30_000 });
const gpuOf = async (id: string) => ((await engineJson(["inspect", id])) as { Config: { Labels: Record<string, string> } }[])[0]!.Config.Labels["ds01.gpu.uuid"];

beforeAll(async () => {
  await ensureTestUsers();
  fake = await writeFakeGpuState({ gpus: GPUS.map((uuid, index) => ({ index, uuid, util: 0 })) });
  // No GPU-equivalent quota: a container an interrupted earlier run left must not count against it.
  const quota = (u: string) => `${u}:\n  max_gpu_equivalents: null\n  max_gpu_slots_per_container: 1\n  max_containers_per_user: null\n  aggregate: null\n`;
  gate = await startGate({ env: fake.env, gpuWaitS: 120, userOverrides: [HENRY, IVY, JACK].map(quota).join("") });
}, 120_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await gate?.stop();
}, 60_000);

describe("the GPU queue", () => {
  const held: string[] = [];

  it("a GPU create that finds every GPU taken waits; waiters are served round-robin across users on removal events", async () => {
    for (const n of ["h1", "h2"]) {
      const r = await docker(HENRY, `create ${L} --name ${runId}-${n} --gpus 1 ${TEST_IMAGE} true`);
      expect(r.code, r.stderr).toBe(0);
      held.push(r.stdout.trim());
    }
    // ivy twice, then jack: jack is served second, not third.
    const ivy1 = docker(IVY, `create ${L} --name ${runId}-i1 --gpus 1 ${TEST_IMAGE} true`);
    await Promise.race([waitingIs(1), ivy1.then((r) => Promise.reject(new Error(`ivy's create did not wait: ${r.code} ${r.stderr}`)))]);
    const ivy2 = docker(IVY, `create ${L} --name ${runId}-i2 --gpus 1 ${TEST_IMAGE} true`);
    await waitingIs(2);
    const jack1 = docker(JACK, `create ${L} --name ${runId}-j1 --gpus 1 ${TEST_IMAGE} true`);
    await waitingIs(3);
    expect(await waiting()).toEqual([`${IVY}:${runId}-i1`, `${JACK}:${runId}-j1`, `${IVY}:${runId}-i2`]);

    // What `ds01 gpu status` shows.
    const status = await execFileWithTimeout(process.execPath, [join(import.meta.dirname, "../../bin/ds01.js"), "--state-dir", gate.stateDir, "gpu", "status", "--json"], { timeoutMs: 30_000, env: { ...process.env, ...fake.env } });
    const queue = (JSON.parse(status.stdout.toString()) as { queue: { position: number; user: string; container: string; waited_s: number }[] }).queue;
    expect(queue.map((q) => [q.position, q.user, q.container])).toEqual([
      [1, IVY, `${runId}-i1`],
      [2, JACK, `${runId}-j1`],
      [3, IVY, `${runId}-i2`],
    ]);

    const freed = await gpuOf(held[0]!);
    await removeAsRoot(held[0]!);
    const i1 = await ivy1;
    expect(i1.code, i1.stderr).toBe(0);
    expect(await gpuOf(i1.stdout.trim())).toBe(freed);
    await waitingIs(2);
    expect(await waiting()).toEqual([`${JACK}:${runId}-j1`, `${IVY}:${runId}-i2`]);

    await removeAsRoot(held[1]!);
    const j1 = await jack1;
    expect(j1.code, j1.stderr).toBe(0);
    expect(await waiting()).toEqual([`${IVY}:${runId}-i2`]);

    const served = auditEvents(gate.stateDir, "gpu.queue_served");
    expect(served.map((e) => e.container)).toEqual([`${runId}-i1`, `${runId}-j1`]);
    // Served because Docker said a holder was removed, not by the periodic re-check.
    for (const e of served) expect(e.details.trigger).toMatch(/^container .* removed$/);
    expect(auditEvents(gate.stateDir, "gpu.queue_wait").map((e) => [e.container, e.details.position])).toEqual([
      [`${runId}-i1`, 1],
      [`${runId}-i2`, 2],
      [`${runId}-j1`, 2],
    ]);

    // ivy's second create is still waiting; her first container goes, so it is served too.
    await removeAsRoot(i1.stdout.trim());
    const i2 = await ivy2;
    expect(i2.code, i2.stderr).toBe(0);
    held.push(j1.stdout.trim(), i2.stdout.trim());
  }, 180_000);

  it("a client that hangs up leaves the queue", async () => {
    // Both GPUs are held (jack's j1, ivy's i2). The CLI is killed after 3 s of waiting.
    const r = await asUser(IVY, `timeout -s KILL 3 docker create ${L} --name ${runId}-gone --gpus 1 ${TEST_IMAGE} true`, gate.env());
    expect(r.code).not.toBe(0);
    await until(async () => auditEvents(gate.stateDir, "gpu.queue_left").find((e) => e.container === `${runId}-gone`));
    expect(await waiting()).toEqual([]);
    const ps = await execFileWithTimeout("docker", ["ps", "-aq", "--filter", `name=${runId}-gone`], { timeoutMs: 30_000 });
    expect(ps.stdout.toString().trim()).toBe(""); // nothing was created for it
  }, 60_000);

  it("a wait that runs out is refused with who holds the GPUs", async () => {
    const file = join(gate.configDir, "resource-limits.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("gpu_wait_s: 120", "gpu_wait_s: 2"));
    gate.child.kill("SIGHUP");
    await until(async () => gate.log().includes("gate: config reloaded"));
    const r: RunResult = await docker(JACK, `create ${L} --name ${runId}-late --gpus 1 ${TEST_IMAGE} true`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ds01: no free GPU slot: .*still after waiting \d+ s in the GPU queue \(gate\.gpu_wait_s: 2\)/);
    expect(r.stderr).toMatch(new RegExp(`held: GPU [01]: ds01gt-(jack|ivy)'s ${runId}-(j1|i2) \\(created`));
    const t = auditEvents(gate.stateDir, "gpu.queue_timeout").find((e) => e.container === `${runId}-late`);
    expect(t?.details.reason).toMatch(/no free GPU slot/);
  }, 60_000);
});
