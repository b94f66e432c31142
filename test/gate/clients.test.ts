// Real clients doing their ordinary work through the gate, as a non-admin Unix user whose only
// Docker access is the gate's socket: the docker CLI (run, ps, logs, exec, stop, rm, build,
// volumes, networks), docker-compose 1.29, Debian's python3-docker, dockerode, and the VS Code
// Dev Containers CLI. Each outcome is checked for real (output, exit codes), and each container
// is checked to be the user's on the engine (root's inspect shows ds01.user=<user>).
import { chmodSync, cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/constants/labels.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { asUser, engineJson, ensureTestUsers, removeRunContainers, removeRunObjects, startGate, type GateProcess } from "./gate-harness.js";

const ALICE = "ds01gt-alice";
const BOB = "ds01gt-bob";
const ALICE_HOME = `/home/${ALICE}`;
const FIXTURES = join(import.meta.dirname, "fixtures");
const DEVCONTAINER_CLI = join(import.meta.dirname, "../../node_modules/.bin/devcontainer");
const runId = newRunId("gate-cli");
const L = `--label ${LABEL.testRun}=${runId}`;
const builtImage = `ds01gt-build-${runId}:1`;
const volume = `ds01gt-vol-${runId}`;
const network = `ds01gt-net-${runId}`;
const project = `ds01gt${runId.replace(/[^a-z0-9]/g, "")}`;
/** Directories this file creates in alice's home (removed in afterAll). */
const homeDirs = [`ds01gt-build-${runId}`, `ds01gt-dc-${runId}`];
let gate: GateProcess;

function docker(user: string, args: string, timeoutMs = 120_000) {
  return asUser(user, `docker ${args}`, gate.env(), timeoutMs);
}

async function root(args: string[], timeoutMs = 60_000) {
  const r = await execFileWithTimeout("docker", args, { timeoutMs });
  return { code: r.code, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

interface Inspected {
  Id: string;
  Name: string;
  Config: { Labels: Record<string, string> | null };
  State: { Running: boolean; ExitCode: number };
}

/** Root's inspect of a container on the engine itself (not through the gate). */
async function inspect(ref: string): Promise<Inspected> {
  const j = (await engineJson(["inspect", "--type", "container", ref])) as Inspected[] | null;
  expect(j?.length, `root inspect ${ref}`).toBe(1);
  return j![0]!;
}

/** Root's view: containers of this run with `label`, by full id. */
async function runContainers(extraFilter: string[] = []): Promise<string[]> {
  const r = await root(["ps", "-aq", "--no-trunc", "--filter", `label=${LABEL.testRun}=${runId}`, ...extraFilter.flatMap((f) => ["--filter", f])]);
  return r.stdout.split("\n").filter(Boolean).sort();
}

/** A directory in alice's home, owned by her, with `files` (name → content). */
function aliceDir(name: string, files: Record<string, string>): string {
  const dir = join(ALICE_HOME, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), content);
  }
  return dir;
}

async function chownToAlice(dir: string): Promise<void> {
  const r = await execFileWithTimeout("chown", ["-R", `${ALICE}:${ALICE}`, dir], { timeoutMs: 10_000 });
  expect(r.code).toBe(0);
}

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate();
}, 120_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await removeRunObjects(runId);
  // Objects named by this run that a client may have made without the label (compose's network).
  await root(["network", "rm", `${project}_default`]);
  await root(["volume", "rm", "-f", volume]);
  await root(["network", "rm", network]);
  await root(["rmi", "-f", builtImage]);
  for (const d of homeDirs) rmSync(join(ALICE_HOME, d), { recursive: true, force: true });
  await gate?.stop();
}, 120_000);

describe("the docker CLI (28.x against engine 20.10) through the gate", () => {
  it("docker version negotiates the API version with the engine behind the gate", async () => {
    const r = await docker(ALICE, "version --format '{{.Client.Version}} {{.Server.Version}} {{.Server.APIVersion}}'");
    expect(r.code, r.stderr).toBe(0);
    const [client, server, api] = r.stdout.trim().split(" ");
    expect(client).toMatch(/^\d+\./);
    expect(server).toMatch(/^20\.10\./);
    expect(api).toBe("1.41");
  });

  it("run --rm prints the command's output, returns its exit code, and leaves nothing behind", async () => {
    const r = await docker(ALICE, `run --rm ${L} ${TEST_IMAGE} sh -c 'echo out-through-gate; echo err-through-gate >&2'`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("out-through-gate\n");
    expect(r.stderr).toContain("err-through-gate");
    const failing = await docker(ALICE, `run --rm ${L} ${TEST_IMAGE} sh -c 'exit 7'`);
    expect(failing.code).toBe(7);
    // --rm: dockerd removes them once they exit; give it a moment (auto-remove is asynchronous).
    for (let i = 0; i < 50 && (await runContainers()).length > 0; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await runContainers()).toEqual([]);
  });

  it("run -d, ps, logs, exec, stop, rm: the whole life of a container", async () => {
    const name = `ds01gt-life-${runId}`;
    const started = await docker(ALICE, `run -d ${L} --name ${name} ${TEST_IMAGE} sh -c 'echo started-$(hostname); exec sleep 600'`);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const c = await inspect(id);
    expect(c.Config.Labels?.[LABEL.user]).toBe(ALICE);
    expect(c.Config.Labels?.[LABEL.testRun]).toBe(runId);
    expect(c.State.Running).toBe(true);

    const ps = await docker(ALICE, `ps --no-trunc --filter label=${LABEL.testRun}=${runId} --format '{{.ID}} {{.Names}} {{.Status}}'`);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout.trim()).toMatch(new RegExp(`^${id} ${name} Up `));
    // bob's listing through the gate does not show alice's container.
    const bobPs = await docker(BOB, `ps -a --no-trunc --filter label=${LABEL.testRun}=${runId} --format '{{.ID}}'`);
    expect(bobPs.code, bobPs.stderr).toBe(0);
    expect(bobPs.stdout.trim()).toBe("");

    let logs = await docker(ALICE, `logs ${name}`);
    for (let i = 0; i < 25 && !logs.stdout.includes("started-"); i++) {
      await new Promise((r) => setTimeout(r, 200));
      logs = await docker(ALICE, `logs ${name}`);
    }
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe(`started-${id.slice(0, 12)}\n`);

    const exec = await docker(ALICE, `exec ${name} sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\\0" " "; exit 5'`);
    expect(exec.code).toBe(5);
    expect(exec.stdout).toBe("exec-ok\nsleep 600 ");

    const stop = await docker(ALICE, `stop -t 1 ${name}`);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout.trim()).toBe(name);
    expect((await inspect(id)).State.Running).toBe(false);

    const rm = await docker(ALICE, `rm ${name}`);
    expect(rm.code, rm.stderr).toBe(0);
    expect(await runContainers()).toEqual([]);
  });

  it("docker build of a small Dockerfile, and a container of the built image", async () => {
    const dir = aliceDir(homeDirs[0]!, { Dockerfile: `FROM ${TEST_IMAGE}\nRUN echo built-through-gate > /built\nCMD ["cat", "/built"]\n` });
    await chownToAlice(dir);
    // No buildx plugin on this host: the CLI uses the classic builder (its deprecation notice goes
    // to stderr). DOCKER_BUILDKIT=0 says so explicitly, so a host with buildx behaves the same.
    const b = await asUser(ALICE, `DOCKER_BUILDKIT=0 docker build --label ${LABEL.testRun}=${runId} -t ${builtImage} ${dir}`, gate.env(), 180_000);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/Step 2\/\d : RUN echo built-through-gate > \/built\n ---> Running in [0-9a-f]+\n/);
    expect(b.stdout).toContain(`Successfully tagged ${builtImage}`);
    const img = (await engineJson(["image", "inspect", builtImage])) as { Config: { Labels: Record<string, string> } }[];
    expect(img[0]!.Config.Labels[LABEL.testRun]).toBe(runId);
    const r = await docker(ALICE, `run --rm ${L} ${builtImage}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("built-through-gate\n");
  });

  it("volume create / inspect / use / rm", async () => {
    const c = await docker(ALICE, `volume create ${L} ${volume}`);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim()).toBe(volume);
    const v = (await engineJson(["volume", "inspect", volume])) as { Labels: Record<string, string> }[];
    expect(v[0]!.Labels[LABEL.user]).toBe(ALICE);
    expect(v[0]!.Labels[LABEL.testRun]).toBe(runId);
    const write = await docker(ALICE, `run --rm ${L} -v ${volume}:/data ${TEST_IMAGE} sh -c 'echo kept > /data/f'`);
    expect(write.code, write.stderr).toBe(0);
    const read = await docker(ALICE, `run --rm ${L} -v ${volume}:/data ${TEST_IMAGE} cat /data/f`);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toBe("kept\n");
    const ls = await docker(ALICE, `volume ls -q --filter label=${LABEL.testRun}=${runId}`);
    expect(ls.stdout.trim()).toBe(volume);
    // Wait for the --rm containers to be gone (the volume is in use until then).
    for (let i = 0; i < 50 && (await runContainers()).length > 0; i++) await new Promise((r) => setTimeout(r, 200));
    const rm = await docker(ALICE, `volume rm ${volume}`);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await root(["volume", "inspect", volume])).code).not.toBe(0);
  });

  it("network create / connect a container / rm", async () => {
    const c = await docker(ALICE, `network create ${L} ${network}`);
    expect(c.code, c.stderr).toBe(0);
    const netId = c.stdout.trim();
    const n = (await engineJson(["network", "inspect", network])) as { Id: string; Labels: Record<string, string> }[];
    expect(n[0]!.Id).toBe(netId);
    expect(n[0]!.Labels[LABEL.user]).toBe(ALICE);
    // Two containers on the network reach each other by name.
    const server = `ds01gt-netsrv-${runId}`;
    const s = await docker(ALICE, `run -d ${L} --name ${server} --network ${network} ${TEST_IMAGE} sleep 600`);
    expect(s.code, s.stderr).toBe(0);
    const ping = await docker(ALICE, `run --rm ${L} --network ${network} ${TEST_IMAGE} ping -c 1 -W 5 ${server}`);
    expect(ping.code, ping.stderr + ping.stdout).toBe(0);
    expect(ping.stdout).toContain("1 packets received");
    expect((await docker(ALICE, `rm -f ${server}`)).code).toBe(0);
    for (let i = 0; i < 50 && (await runContainers()).length > 0; i++) await new Promise((r) => setTimeout(r, 200));
    const rm = await docker(ALICE, `network rm ${network}`);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await root(["network", "inspect", network])).code).not.toBe(0);
  });
});

describe("docker-compose 1.29 through the gate", () => {
  it("up -d, ps, logs, down", async () => {
    const compose = (cmd: string) => asUser(ALICE, `docker-compose -f ${join(FIXTURES, "compose.yml")} -p ${project} ${cmd}`, gate.env({ DS01_TEST_RUN: runId }), 180_000);
    const up = await compose("up -d");
    expect(up.code, up.stderr).toBe(0);
    const ids = await runContainers([`label=com.docker.compose.project=${project}`]);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect((await inspect(id)).Config.Labels?.[LABEL.user]).toBe(ALICE);
    const web = await inspect(`${project}_web_1`);
    expect(web.State.Running).toBe(true);
    const net = (await engineJson(["network", "inspect", `${project}_default`])) as { Labels: Record<string, string> }[];
    expect(net[0]!.Labels[LABEL.user]).toBe(ALICE);

    const ps = await compose("ps");
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(new RegExp(`${project}_web_1 .* Up`));
    let logs = await compose("logs --no-color");
    for (let i = 0; i < 25 && !(logs.stdout.includes("compose-web-up") && logs.stdout.includes("compose-once-ran")); i++) {
      await new Promise((r) => setTimeout(r, 200));
      logs = await compose("logs --no-color");
    }
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/web_1 +\| compose-web-up/);
    expect(logs.stdout).toMatch(/once_1 +\| compose-once-ran/);

    const down = await compose("down -t 1");
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`Removing network ${project}_default`);
    expect(await runContainers()).toEqual([]);
    expect((await root(["network", "inspect", `${project}_default`])).code).not.toBe(0);
  });
});

describe("python3-docker (Debian 5.0.3) through the gate", () => {
  it("containers.run (detached and blocking), wait, logs, list, remove", async () => {
    const r = await asUser(ALICE, `/usr/bin/python3 ${join(FIXTURES, "python-docker-client.py")} ${runId} ${TEST_IMAGE}`, gate.env(), 120_000);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      ping: true,
      wait: 4,
      stdout: "python-out\n",
      stderr: "python-err\n",
      listed: [`ds01gt-py-${runId}`],
      blocking: "python-blocking\n",
      after: [],
    });
    expect(await runContainers()).toEqual([]);
  });
});

describe("dockerode through the gate", () => {
  async function dockerode(mode: "ordinary" | "single") {
    const r = await asUser(ALICE, `${process.execPath} ${join(FIXTURES, "dockerode-client.mjs")} ${runId} ${TEST_IMAGE} ${mode}`, gate.env(), 120_000);
    return { ...r, out: r.code === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : null };
  }

  // dockerode (docker-modem 5) sends createContainer's options both as the JSON body and in the
  // query string, where an array becomes a repeated parameter (…&Cmd=sh&Cmd=-c&…&name=…); dockerd
  // reads only name and platform there, and the gate refuses repeats only of what it decides on.
  it("createContainer with an ordinary Cmd ['sh', '-c', …], start, wait, logs, list, remove", async () => {
    const r = await dockerode("ordinary");
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ ping: "OK", wait: 3, stdout: "dockerode-out\n", stderr: "dockerode-err\n", user: ALICE, after: [] });
    expect(r.out!.listed).toEqual([r.out!.id]);
  });

  it("the same with single-element arrays (no repeated query parameter): everything else works", async () => {
    const r = await dockerode("single");
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toMatchObject({ ping: "OK", wait: 0, stdout: "dockerode-out\n", stderr: "", user: ALICE, after: [] });
    expect(r.out!.listed).toEqual([r.out!.id]);
    expect(await runContainers()).toEqual([]);
  });
});

describe("the VS Code Dev Containers CLI through the gate", () => {
  it("devcontainer up starts the user's container with the workspace mounted; exec runs in it", async () => {
    const dir = join(ALICE_HOME, homeDirs[1]!);
    mkdirSync(join(dir, ".devcontainer"), { recursive: true });
    cpSync(join(FIXTURES, "devcontainer", "devcontainer.json"), join(dir, ".devcontainer", "devcontainer.json"));
    writeFileSync(join(dir, "marker.txt"), `workspace-of-${runId}\n`);
    chmodSync(dir, 0o755);
    await chownToAlice(dir);
    const idArgs = `--workspace-folder ${dir} --id-label ${LABEL.testRun}=${runId}`;
    const up = await asUser(ALICE, `${DEVCONTAINER_CLI} up ${idArgs}`, gate.env(), 240_000);
    expect(up.code, up.stderr).toBe(0);
    const outcome = JSON.parse(up.stdout.trim().split("\n").pop()!) as { outcome: string; containerId: string; remoteWorkspaceFolder: string };
    expect(outcome.outcome).toBe("success");
    const c = await inspect(outcome.containerId);
    expect(c.Config.Labels?.[LABEL.user]).toBe(ALICE);
    expect(c.Config.Labels?.[LABEL.testRun]).toBe(runId);
    expect(c.State.Running).toBe(true);
    const exec = await asUser(ALICE, `${DEVCONTAINER_CLI} exec ${idArgs} cat ${outcome.remoteWorkspaceFolder}/marker.txt`, gate.env(), 120_000);
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout).toContain(`workspace-of-${runId}`);
    // A second `up` finds the running container by its id label instead of creating another.
    const again = await asUser(ALICE, `${DEVCONTAINER_CLI} up ${idArgs}`, gate.env(), 240_000);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout.trim().split("\n").pop()!) as { containerId: string }).containerId).toBe(outcome.containerId);
    expect(await runContainers()).toEqual([outcome.containerId]);
  }, 300_000);
});
