// DockerRuntime against the real Docker engine, on containers this file creates (and removes).
import { describe, expect, it } from "vitest";
import { DockerRuntime } from "../../src/docker/docker-runtime.js";
import { EngineError } from "../../src/docker/engine-client.js";
import { TransientError } from "../../src/errors.js";
import { LABEL } from "../../src/constants/labels.js";
import { useTestContainers } from "../helpers/containers.js";

const GPU_A = "GPU-11111111-2222-3333-4444-555555555555";
const MIG_B = "MIG-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

const tc = useTestContainers("rt");
const runtime = new DockerRuntime({ timeoutMs: 20_000 });
const mine = () => runtime.list({ label: [`${LABEL.testRun}=${tc.runId}`] });

describe("DockerRuntime.list / inspect", () => {
  it("sees running, exited and created test containers with labels, times, GPUs and pid", async () => {
    const before = Date.now() - 5_000;
    const running = await tc.create({ labels: { "ds01.user": "alice", "ds01.gpu.uuid": GPU_A }, gpus: [GPU_A, MIG_B] });
    const exited = await tc.create({ state: "exited", labels: { "aime.mlc.USER": "bob" } });
    const created = await tc.create({ state: "created", gpuCount: -1 });

    const all = await mine();
    const byId = new Map(all.map((c) => [c.id, c]));
    expect(all).toHaveLength(3);

    const r = byId.get(running.id)!;
    expect(r.name).toBe(running.name);
    expect(r.state).toBe("running");
    expect(r.labels["ds01.user"]).toBe("alice");
    expect(r.labels[LABEL.testRun]).toBe(tc.runId);
    expect(r.deviceRequestGpuIds).toEqual([GPU_A, MIG_B]);
    expect(r.requestsGpu).toBe(true);
    expect(r.pid).toBe(running.pid);
    expect(r.pid).toBeGreaterThan(0);
    expect(r.startedAt).toBeGreaterThanOrEqual(before);
    expect(r.createdAt).toBeGreaterThanOrEqual(before);
    expect(r.finishedAt).toBeNull();
    expect(r.restartCount).toBe(0);

    const e = byId.get(exited.id)!;
    expect(e.state).toBe("exited");
    expect(e.pid).toBeNull();
    expect(e.startedAt).not.toBeNull();
    expect(e.finishedAt).toBeGreaterThanOrEqual(e.startedAt!);
    expect(e.labels["aime.mlc.USER"]).toBe("bob");
    expect(e.requestsGpu).toBe(false);

    const c = byId.get(created.id)!;
    expect(c.state).toBe("created");
    expect(c.startedAt).toBeNull();
    expect(c.finishedAt).toBeNull();
    expect(c.pid).toBeNull();
    expect(c.deviceRequestGpuIds).toEqual([]);
    expect(c.requestsGpu).toBe(true); // count request (--gpus all)

    expect(await runtime.inspect(running.name)).toMatchObject({ id: running.id, state: "running" });
  });

  it("the unfiltered list contains the test containers too (every container, every state)", async () => {
    const c = await tc.create({ state: "created" });
    const all = await runtime.list();
    expect(all.some((x) => x.id === c.id)).toBe(true);
  });

  it("a second list reuses inspect bodies of unchanged containers, and still sees a state change at once", async () => {
    const rt = new DockerRuntime({ timeoutMs: 20_000 });
    const created = await tc.create({ state: "created", labels: { "ds01.user": "dora" } });
    const scoped = () => rt.list({ label: [`${LABEL.testRun}=${tc.runId}`] });
    const first = (await scoped()).find((c) => c.id === created.id)!;
    expect(rt.cachedInspects).toBeGreaterThan(0);
    const again = (await scoped()).find((c) => c.id === created.id)!;
    expect(again).toEqual(first);
    await rt.client.request({ method: "POST", path: `/containers/${created.id}/start` });
    const started = (await scoped()).find((c) => c.id === created.id)!;
    expect(started.state).toBe("running");
    expect(started.pid).toBeGreaterThan(0);
    expect(started.startedAt).not.toBeNull();
  });

  it("inspect of a missing container is null", async () => {
    expect(await runtime.inspect("ds01-test-no-such-container-" + tc.runId)).toBeNull();
  });

  it("reads NVIDIA_VISIBLE_DEVICES from the environment", async () => {
    const c = await tc.create({ state: "created", env: [`NVIDIA_VISIBLE_DEVICES=${GPU_A}`] });
    expect((await runtime.inspect(c.id))!.nvidiaVisibleDevices).toBe(GPU_A);
  });
});

describe("DockerRuntime.stop / remove", () => {
  it("stops a container that handles SIGTERM within its grace, exit code 0", async () => {
    const c = await tc.create({ cmd: `trap "echo bye; exit 0" TERM; while true; do sleep 1; done` });
    await new Promise((r) => setTimeout(r, 300)); // let the shell install its trap
    await runtime.stop(c.id, 20);
    const after = await runtime.inspect(c.id);
    expect(after!.state).toBe("exited");
    const raw = (await runtime.client.request({ method: "GET", path: `/containers/${c.id}/json` })) as { State: { ExitCode: number } };
    expect(raw.State.ExitCode).toBe(0);
    // stopping again is not an error (304), nor is stopping a removed container
    await runtime.stop(c.id, 1);
    await runtime.remove(c.id);
    expect(await runtime.inspect(c.id)).toBeNull();
    await runtime.remove(c.id); // already gone: fine
    await runtime.stop(c.id, 1);
  });

  it("refuses to remove a running container (no force)", async () => {
    const c = await tc.create();
    await expect(runtime.remove(c.id)).rejects.toBeInstanceOf(TransientError);
    expect((await runtime.inspect(c.id))!.state).toBe("running");
  });
});

describe("DockerRuntime.stats / exec", () => {
  it("stats returns counters for a running container and null for a stopped one", async () => {
    const running = await tc.create();
    const s = await runtime.stats(running.id);
    expect(s).not.toBeNull();
    expect(s!.cpuTotalNs).toBeGreaterThan(0);
    expect(s!.netRxBytes).not.toBeNull();
    const exited = await tc.create({ state: "exited" });
    expect(await runtime.stats(exited.id)).toBeNull();
    expect(await runtime.stats("ds01-test-missing-" + tc.runId)).toBeNull();
  });

  it("exec runs a command with stdin and reports its exit code", async () => {
    const c = await tc.create();
    const r = await runtime.exec(c.id, ["sh", "-c", "cat > /tmp/notice && grep -q hello /tmp/notice"], { timeoutMs: 10_000, stdin: "hello there\n" });
    expect(r.exitCode).toBe(0);
    const bad = await runtime.exec(c.id, ["sh", "-c", "exit 3"], { timeoutMs: 10_000 });
    expect(bad.exitCode).toBe(3);
  });

  it("exec hands a large stdin over whole and ends it, so the command sees all of it", async () => {
    const c = await tc.create();
    const text = "x".repeat(300_000) + "\nend\n";
    const r = await runtime.exec(c.id, ["sh", "-c", `test "$(wc -c)" -eq ${text.length}`], { timeoutMs: 20_000, stdin: text });
    expect(r.exitCode).toBe(0);
  });

  it("exec in a container that is not running is an EngineError with dockerd's status and message", async () => {
    const c = await tc.create({ state: "exited" });
    const e = await runtime.exec(c.id, ["true"], { timeoutMs: 10_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).statusCode).toBe(409);
    expect((e as EngineError).message).toMatch(/not running/);
  });

  it("a hand-over dockerd refuses (no such exec) is an EngineError with its status and message", async () => {
    const e = await runtime.client.upgrade("/exec/ds01-test-no-such-exec/start", { Detach: false, Tty: false }, new AbortController().signal).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).statusCode).toBe(404);
    expect((e as EngineError).message).toMatch(/no such exec/i);
  });

  it("exec past its timeout is a TransientError", async () => {
    const c = await tc.create();
    await expect(runtime.exec(c.id, ["sleep", "30"], { timeoutMs: 300 })).rejects.toBeInstanceOf(TransientError);
  });
});

describe("unreachable engine", () => {
  it("every call is a TransientError from source docker, never an empty list", async () => {
    const dead = new DockerRuntime({ dockerHost: "unix:///nonexistent.sock", timeoutMs: 2_000 });
    await expect(dead.list()).rejects.toBeInstanceOf(TransientError);
    await expect(dead.list()).rejects.toMatchObject({ source: "docker" });
    await expect(dead.inspect("x")).rejects.toBeInstanceOf(TransientError);
    await expect(dead.stop("x", 1)).rejects.toBeInstanceOf(TransientError);
    await expect(dead.events(() => undefined, new AbortController().signal)).rejects.toBeInstanceOf(TransientError);
  });

  it("DOCKER_HOST is honoured", async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = "unix:///nonexistent.sock";
    try {
      await expect(new DockerRuntime({ timeoutMs: 2_000 }).list()).rejects.toBeInstanceOf(TransientError);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
