// Real test containers on the real Docker engine, always labelled `ds01.test.run=<runId>` and
// always removed afterwards. Nothing here ever lists, stops or removes a container without that
// label. Typical use in a test file:
//
//   const tc = useTestContainers();            // registers afterAll cleanup for this file
//   const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: ["GPU-…"] });
//   ...                                        // c.id, c.name, c.pid, await c.remove()
import { randomBytes } from "node:crypto";
import { afterAll } from "vitest";
import Dockerode from "dockerode";
import { LABEL } from "../../src/constants/labels.js";
import { mapLimit } from "../../src/docker/map-limit.js";
import { TEST_IMAGE } from "./docker-env.js";

export type TestContainerState = "running" | "exited" | "created";

export interface TestContainerOptions {
  /** Container name; default `ds01-test-<runId>-<n>`. */
  name?: string;
  /** Extra labels (ds01.*, aime.mlc.*, devcontainer.*, com.docker.compose.*). The test-run label is always added. */
  labels?: Record<string, string>;
  /** Command; default `["sleep", "3600"]`. A string runs through `sh -c`. */
  cmd?: string[] | string;
  /** GPU / MIG UUIDs to request (`--gpus '"device=…"'`): a real DeviceRequest, no GPU touched. */
  gpus?: string[];
  /** A count GPU request instead of ids (`--gpus N`, -1 = all). */
  gpuCount?: number;
  /** Environment variables (`KEY=value`). */
  env?: string[];
  /** Default "running". "exited" starts the container and kills it (exit code 137). */
  state?: TestContainerState;
  stopSignal?: string;
  /** Seconds Docker waits after the stop signal (container's own StopTimeout). */
  stopTimeoutS?: number;
  cgroupParent?: string;
  networkMode?: string;
  image?: string;
}

export interface TestContainer {
  id: string;
  name: string;
  /** Host PID of the container's init process while running, else null. */
  pid: number | null;
  /** Bridge IP address while running, else null. */
  ip: string | null;
  remove(): Promise<void>;
}

export interface TestContainers {
  runId: string;
  create(opts?: TestContainerOptions): Promise<TestContainer>;
  removeAll(): Promise<void>;
}

const docker = new Dockerode({ timeout: 60_000 });
let counter = 0;

export function newRunId(prefix = "t"): string {
  return `${prefix}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

// Creates under way, per run: a removal waits for them, so a container whose create was still in
// flight when its run was cleaned up (a bench stopped with Ctrl-C while it set up) is removed too.
const creating = new Map<string, Set<Promise<unknown>>>();

/** Creates one real container labelled with `runId`, in the requested state. */
export function createTestContainer(runId: string, opts: TestContainerOptions = {}): Promise<TestContainer> {
  const set = creating.get(runId) ?? new Set();
  creating.set(runId, set);
  const p = createOne(runId, opts);
  set.add(p);
  void p.finally(() => set.delete(p)).catch(() => undefined);
  return p;
}

async function createOne(runId: string, opts: TestContainerOptions): Promise<TestContainer> {
  const name = opts.name ?? `ds01-test-${runId}-${++counter}`;
  const cmd = opts.cmd === undefined ? ["sleep", "3600"] : typeof opts.cmd === "string" ? ["sh", "-c", opts.cmd] : opts.cmd;
  const deviceRequests = [];
  if (opts.gpus?.length) deviceRequests.push({ Driver: "", Count: 0, DeviceIDs: opts.gpus, Capabilities: [["gpu"]], Options: {} });
  if (opts.gpuCount !== undefined) deviceRequests.push({ Driver: "", Count: opts.gpuCount, DeviceIDs: null, Capabilities: [["gpu"]], Options: {} });
  const c = await docker.createContainer({
    name,
    Image: opts.image ?? TEST_IMAGE,
    Cmd: cmd,
    Env: opts.env,
    Labels: { ...(opts.labels ?? {}), [LABEL.testRun]: runId },
    StopSignal: opts.stopSignal,
    StopTimeout: opts.stopTimeoutS,
    HostConfig: {
      RestartPolicy: { Name: "no" },
      DeviceRequests: deviceRequests.length ? deviceRequests : undefined,
      CgroupParent: opts.cgroupParent,
      NetworkMode: opts.networkMode,
    } as Dockerode.HostConfig,
  });
  const state = opts.state ?? "running";
  if (state !== "created") await c.start();
  if (state === "exited") {
    await c.kill().catch(() => undefined); // it may have exited already
    await c.wait({ condition: "not-running" });
  }
  const info = await c.inspect();
  const running = info.State.Running;
  return {
    id: c.id,
    name,
    pid: running && info.State.Pid > 0 ? info.State.Pid : null,
    ip: running ? (Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress ?? null) : null,
    remove: () => c.remove({ force: true }).then(() => undefined, goneOrGoing),
  };
}

/** A removal that found the container gone (404) or already being removed by someone else (409). */
function goneOrGoing(e: { statusCode?: number }): void {
  if (e.statusCode !== 404 && e.statusCode !== 409) throw e;
}

/** Removes every container labelled `ds01.test.run=<runId>` (and only those). */
export async function removeTestContainers(runId: string): Promise<void> {
  // Creates started while an earlier round removed are waited for and removed in the next.
  for (let round = 0; round < 5; round++) {
    await Promise.allSettled([...(creating.get(runId) ?? [])]);
    const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.testRun}=${runId}`] } });
    // Bounded: dockerd 20.10's network code deadlocked removing hundreds of bridged containers at once.
    await mapLimit(list, 8, (c) => docker.getContainer(c.Id).remove({ force: true }).catch(goneOrGoing));
    if ((creating.get(runId)?.size ?? 0) === 0) break;
  }
}

/** Per-file helper: a fresh run id, `create`, and cleanup registered with vitest's afterAll. */
export function useTestContainers(prefix = "t"): TestContainers {
  const runId = newRunId(prefix);
  afterAll(() => removeTestContainers(runId));
  return { runId, create: (opts) => createTestContainer(runId, opts), removeAll: () => removeTestContainers(runId) };
}
