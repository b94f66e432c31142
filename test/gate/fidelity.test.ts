// Every kind of stream the Engine API has, through the gate, as a non-admin Unix user: ping and
// API version negotiation, chunked answers (logs -f, events, stats, build progress), hijacked
// connections (run -i, exec -i with half-close, a real TTY, attach), large uploads and downloads
// (docker cp of 50 MB both ways, save | load), keep-alive, 200 connections held at once; and the
// gate going away under an open stream, and an engine that does not answer.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
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
const BIN = join(import.meta.dirname, "../../bin/ds01.js");
const runId = newRunId("gate-fid");
const L = `--label ${LABEL.testRun}=${runId}`;
const savedImage = `ds01gt-save-${runId}:1`;
const bigFile = join(ALICE_HOME, `ds01gt-big-${runId}`);
const files = [bigFile, `${bigFile}.back`, `${bigFile}.tar`];
let gate: GateProcess;
/** The gate restarted by the restart test (same socket, config and state); stopped in afterAll. */
let restarted: ChildProcess | null = null;
const spawned = new Set<ChildProcess>();
let sleeper = "";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function docker(user: string, args: string, timeoutMs = 120_000) {
  return asUser(user, `docker ${args}`, gate.env(), timeoutMs);
}

async function root(args: string[], timeoutMs = 60_000) {
  const r = await execFileWithTimeout("docker", args, { timeoutMs });
  return { code: r.code, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

interface Streaming {
  child: ChildProcess;
  out(): string;
  /** Resolves once the output matches (rejects after `timeoutMs` with what was seen). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** Starts `command` as `user` (DOCKER_HOST at `env`) and lets the test read its output as it comes. */
function streamAsUser(user: string, command: string, env: Record<string, string>): Streaming {
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}='${v}';`)
    .join(" ");
  const child = spawn("su", ["-s", "/bin/sh", user, "-c", `${exports} cd ~ && exec ${command}`], { stdio: ["ignore", "pipe", "pipe"] });
  spawned.add(child);
  let text = "";
  child.stdout!.on("data", (c: Buffer) => (text += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (text += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    out: () => text,
    exited,
    async waitFor(re, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(text)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in: ${text}`);
        await sleep(50);
      }
    },
  };
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** `ds01 gate` on the same socket, config and state as `g` (as the harness starts it). */
async function startGateProcess(g: GateProcess): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, "--config", g.configDir, "--state-dir", g.stateDir, "gate", "--socket", g.socket, "--engine", "/var/run/docker.sock"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  for (let i = 0; i < 400 && !out.includes('"gate: listening"'); i++) {
    if (child.exitCode !== null) throw new Error(`gate exited ${child.exitCode}: ${out}`);
    await sleep(50);
  }
  if (!out.includes('"gate: listening"')) throw new Error(`gate did not start: ${out}`);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(15_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate();
  const s = await docker(ALICE, `run -d ${L} --name ds01gt-sleeper-${runId} ${TEST_IMAGE} sleep 3600`);
  expect(s.code, s.stderr).toBe(0);
  sleeper = `ds01gt-sleeper-${runId}`;
}, 120_000);

afterAll(async () => {
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await removeRunContainers(runId);
  await removeRunObjects(runId);
  await root(["rmi", savedImage]);
  for (const f of files) rmSync(f, { force: true });
  if (restarted) await stopProcess(restarted);
  await gate?.stop();
}, 120_000);

describe("ping and API version negotiation", () => {
  it("HEAD and GET /_ping answer with the engine's API version; CLI 28 negotiates down to 1.41", async () => {
    const r = await asUser(ALICE, `${process.execPath} ${join(FIXTURES, "keepalive.mjs")} ${gate.socket} ${runId} ${TEST_IMAGE}`, {}, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const steps = (JSON.parse(r.stdout) as { steps: { what: string; status: number; apiVersion: string | null; body: string }[] }).steps;
    expect(steps[0]).toMatchObject({ what: "HEAD /_ping", status: 200, apiVersion: "1.41", body: "" });
    expect(steps[1]).toMatchObject({ what: "GET /_ping", status: 200, apiVersion: "1.41", body: "OK" });
    const v = await docker(ALICE, "version");
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/API version: +1\.41 \(downgraded from 1\.\d+\)/);
    expect(v.stdout).toMatch(/Server:[\s\S]*Version: +20\.10\./);
  });
});

describe("chunked answers", () => {
  it("docker logs -f shows each line as the container writes it, and ends when it exits", async () => {
    const name = `ds01gt-follow-${runId}`;
    // The container writes line 2 only once the test has seen line 1 on the stream (a handshake,
    // not a timing): so line 1 must have come through the gate while the container was running.
    const r = await docker(ALICE, `run -d ${L} --name ${name} ${TEST_IMAGE} sh -c 'echo line-1; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo line-2'`);
    expect(r.code, r.stderr).toBe(0);
    const follow = streamAsUser(ALICE, `docker logs -f ${name}`, gate.env());
    await follow.waitFor(/line-1\n/);
    expect(follow.out()).not.toContain("line-2");
    expect((await root(["exec", name, "touch", "/tmp/go"])).code).toBe(0);
    await follow.waitFor(/line-2\n/);
    expect(await follow.exited).toBe(0);
    expect(follow.out()).toBe("line-1\nline-2\n");
  });

  it("docker events streams the caller's container events and not another user's", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const fmt = `--format '{{.Type}} {{.Action}} {{.Actor.ID}}'`;
    const filter = `--since ${since} --filter label=${LABEL.testRun}=${runId} --filter type=container`;
    const aliceEvents = streamAsUser(ALICE, `docker events ${filter} ${fmt}`, gate.env());
    const bobEvents = streamAsUser(BOB, `docker events ${filter} ${fmt}`, gate.env());
    const a = await docker(ALICE, `run -d ${L} --name ds01gt-ev-a-${runId} ${TEST_IMAGE} true`);
    const b = await docker(BOB, `run -d ${L} --name ds01gt-ev-b-${runId} ${TEST_IMAGE} true`);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const aliceId = a.stdout.trim();
    const bobId = b.stdout.trim();
    await aliceEvents.waitFor(new RegExp(`container die ${aliceId}`));
    await bobEvents.waitFor(new RegExp(`container die ${bobId}`));
    expect(aliceEvents.out()).toContain(`container create ${aliceId}`);
    expect(aliceEvents.out()).toContain(`container start ${aliceId}`);
    expect(bobEvents.out()).toContain(`container start ${bobId}`);
    // Each stream has seen its own container's whole life, which began after the other's create.
    expect(bobEvents.out()).not.toContain(aliceId);
    expect(aliceEvents.out()).not.toContain(bobId);
    expect(bobEvents.out()).not.toContain(sleeper);
    aliceEvents.child.kill("SIGTERM");
    bobEvents.child.kill("SIGTERM");
    // The bounded form (--until) ends by itself, with the same filtering.
    const until = Math.floor(Date.now() / 1000) + 1;
    await sleep(1500);
    const bounded = await docker(BOB, `events --since ${since} --until ${until} --filter label=${LABEL.testRun}=${runId} ${fmt}`);
    expect(bounded.code, bounded.stderr).toBe(0);
    expect(bounded.stdout).toContain(`container die ${bobId}`);
    expect(bounded.stdout).not.toContain(aliceId);
  });

  it("docker stats --no-stream shows the caller's running containers only", async () => {
    const one = await docker(ALICE, `stats --no-stream --format '{{.Name}} {{.MemUsage}}' ${sleeper}`);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`^${sleeper} [\\d.]+[KMG]i?B / [\\d.]+[KMGT]i?B\\n$`));
    const all = await docker(BOB, `stats --no-stream --format '{{.Name}}'`);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).not.toContain(sleeper);
    const denied = await docker(BOB, `stats --no-stream ${sleeper}`);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("ds01:");
  });

  it("docker build streams its progress (each step and the RUN step's own output)", async () => {
    const dir = `ds01gt-fidbuild-${runId}`;
    const r = await asUser(
      ALICE,
      `mkdir -p ${dir} && printf 'FROM ${TEST_IMAGE}\\nRUN echo progress-from-run-step\\n' > ${dir}/Dockerfile && DOCKER_BUILDKIT=0 docker build --no-cache --label ${LABEL.testRun}=${runId} ${dir}; rc=$?; rm -rf ${dir}; exit $rc`,
      gate.env(),
      180_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Step 1\/\d : FROM ds01-test-busybox[\s\S]*Step 2\/\d : RUN echo progress-from-run-step\n ---> Running in [0-9a-f]+\nprogress-from-run-step\n[\s\S]*Successfully built ([0-9a-f]+)/);
    const built = /Successfully built ([0-9a-f]+)/.exec(r.stdout)![1]!;
    await root(["rmi", built]);
  });
});

describe("hijacked connections", () => {
  it("docker run -i: stdin reaches the container and its EOF ends it", async () => {
    const r = await docker(ALICE, `run --rm -i ${L} ${TEST_IMAGE} sh -c 'cat; echo stdin-closed' < /etc/hostname`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${readFileSync("/etc/hostname", "utf8")}stdin-closed\n`);
  });

  it("echo hi | docker exec -i c cat returns hi (half-close), and exit codes come back", async () => {
    const r = await asUser(ALICE, `echo hi | docker exec -i ${sleeper} cat`, gate.env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("hi\n");
    const code = await asUser(ALICE, `echo hi | docker exec -i ${sleeper} sh -c 'cat >/dev/null; exit 9'`, gate.env());
    expect(code.code).toBe(9);
  });

  it("5 MB through exec -i stdin arrive intact", async () => {
    writeFileSync(bigFile, randomBytes(5 * 1024 * 1024));
    const r = await asUser(ALICE, `docker exec -i ${sleeper} sha256sum < ${bigFile}`, gate.env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split(" ")[0]).toBe(sha256(bigFile));
  });

  it("docker run -it with a real terminal (script): a TTY, typed input, the shell's exit code", async () => {
    const r = await asUser(ALICE, `printf 'tty\\necho typed-$((6*7))\\nexit 3\\n' | script -qec 'docker run --rm -it ${L} ${TEST_IMAGE} sh' /dev/null`, gate.env());
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.stdout).toContain("typed-42");
  });

  it("docker attach: input reaches the running container, its output comes back", async () => {
    const name = `ds01gt-attach-${runId}`;
    const started = await docker(ALICE, `run -d -i ${L} --name ${name} ${TEST_IMAGE} sh -c 'read l; echo got-$l'`);
    expect(started.code, started.stderr).toBe(0);
    // stdin stays open until the container has answered: when the CLI's stdin ends first, `docker
    // attach` may return before the output arrives (it does so directly on the engine too).
    const r = await asUser(ALICE, `(echo attached-line; sleep 3) | timeout -s KILL 60 docker attach ${name}`, gate.env(), 90_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("got-attached-line\n");
  });
});

describe("large uploads and downloads", () => {
  it("docker cp of 50 MB into a container and back, unchanged", async () => {
    writeFileSync(bigFile, randomBytes(50 * 1024 * 1024));
    await execFileWithTimeout("chown", [`${ALICE}:${ALICE}`, bigFile], { timeoutMs: 10_000 });
    const sum = sha256(bigFile);
    const into = await docker(ALICE, `cp ${bigFile} ${sleeper}:/tmp/big`, 180_000);
    expect(into.code, into.stderr).toBe(0);
    const inside = await docker(ALICE, `exec ${sleeper} sha256sum /tmp/big`);
    expect(inside.stdout.split(" ")[0]).toBe(sum);
    const back = await docker(ALICE, `cp ${sleeper}:/tmp/big ${bigFile}.back`, 180_000);
    expect(back.code, back.stderr).toBe(0);
    expect(sha256(`${bigFile}.back`)).toBe(sum);
  }, 300_000);

  it("docker save | docker load of a run-specific tag of the test image; the shared image is unchanged", async () => {
    const before = (await engineJson(["image", "inspect", TEST_IMAGE])) as { Id: string; RepoTags: string[] }[];
    const tag = await docker(ALICE, `tag ${TEST_IMAGE} ${savedImage}`);
    expect(tag.code, tag.stderr).toBe(0);
    const save = await docker(ALICE, `save -o ${bigFile}.tar ${savedImage}`, 180_000);
    expect(save.code, save.stderr).toBe(0);
    // Untag (root; removing images is for admins) so that the load really recreates the tag.
    expect((await root(["rmi", savedImage])).code).toBe(0);
    const load = await asUser(ALICE, `cat ${bigFile}.tar | docker load`, gate.env(), 180_000);
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toContain(`Loaded image: ${savedImage}`);
    const run = await docker(ALICE, `run --rm ${L} ${savedImage} echo loaded-image-runs`);
    expect(run.stdout).toBe("loaded-image-runs\n");
    const after = (await engineJson(["image", "inspect", TEST_IMAGE])) as { Id: string; RepoTags: string[] }[];
    expect(after[0]!.Id).toBe(before[0]!.Id);
    expect(after[0]!.RepoTags).toEqual(expect.arrayContaining(before[0]!.RepoTags));
  }, 300_000);
});

describe("connections", () => {
  it("keep-alive: a dozen requests (create, start, wait, logs, a refusal, remove…) on one connection, a second after logs", async () => {
    const r = await asUser(ALICE, `${process.execPath} ${join(FIXTURES, "keepalive.mjs")} ${gate.socket} ${runId} ${TEST_IMAGE}`, {}, 60_000);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { sockets: number; steps: { what: string; status: number; socket: number; reused: boolean; connection: string | null; body: string }[] };
    // A logs answer is spliced (not parsed) and ends its connection, saying so: the client goes on
    // on a second one, kept alive in its turn.
    expect(out.sockets).toBe(2);
    expect(out.steps.map((s) => [s.what, s.status])).toEqual([
      ["HEAD /_ping", 200],
      ["GET /_ping", 200],
      ["version", 200],
      ["create", 201],
      ["start", 204],
      ["wait", 200],
      ["logs", 200],
      ["list", 200],
      ["refused", 403],
      ["remove", 204],
      ["GET /_ping again", 200],
    ]);
    const logsAt = out.steps.findIndex((s) => s.what === "logs");
    expect(out.steps[logsAt]!.connection).toBe("close");
    expect(out.steps.slice(1, logsAt + 1).every((s) => s.reused && s.socket === 1)).toBe(true);
    expect(out.steps[logsAt + 1]!.socket).toBe(2);
    expect(out.steps.slice(logsAt + 2).every((s) => s.reused && s.socket === 2 && s.connection !== "close")).toBe(true);
    expect(out.steps.find((s) => s.what === "logs")!.body).toContain("keepalive-logs");
    expect(out.steps.find((s) => s.what === "refused")!.body).toContain("ds01:");
  });

  it("200 connections held open at once (event streams) are all answered, and all stay live", async () => {
    const r = await asUser(ALICE, `${process.execPath} ${join(FIXTURES, "many-connections.mjs")} ${gate.socket} 200 ${runId} ${TEST_IMAGE}`, {}, 180_000);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      n: 200,
      opened200: 200,
      errors: [],
      pingWhileHeld: "200 OK",
      lists200: 200,
      createStatus: 201,
      removeStatus: 204,
      streamsThatSawTheEvents: 200,
    });
    expect(gate.child.exitCode).toBeNull();
  }, 240_000);
});

describe("failures", () => {
  it("the gate restarting under an open stream: the stream ends, the next command works", async () => {
    const name = `ds01gt-restart-${runId}`;
    const c = await docker(ALICE, `run -d ${L} --name ${name} ${TEST_IMAGE} sh -c 'echo before-restart; exec sleep 3600'`);
    expect(c.code, c.stderr).toBe(0);
    const follow = streamAsUser(ALICE, `docker logs -f ${name}`, gate.env());
    const events = streamAsUser(ALICE, `docker events --filter label=${LABEL.testRun}=${runId}`, gate.env());
    await follow.waitFor(/before-restart\n/);
    await sleep(500); // let the events stream connect (it prints nothing until an event)
    await stopProcess(gate.child);
    // Both clients' streams end (they do not hang on a gate that is gone).
    const [followCode, eventsCode] = await Promise.all([follow.exited, events.exited]);
    expect(followCode).not.toBeNull();
    expect(eventsCode).not.toBeNull();
    const down = await docker(ALICE, "ps");
    expect(down.code).not.toBe(0);
    restarted = await startGateProcess(gate);
    const ps = await docker(ALICE, `ps --filter name=${name} --format '{{.Names}}'`);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toBe(`${name}\n`);
    const logs = await docker(ALICE, `logs ${name}`);
    expect(logs.stdout).toBe("before-restart\n");
    expect((await docker(ALICE, `rm -f ${name}`)).code).toBe(0);
  }, 180_000);

  it("an engine that does not answer: a clear ds01 message naming its socket, a non-zero exit, no crash", async () => {
    const missing = join(gate.dir, "no-engine", "docker.sock");
    const dead = await startGate({ engine: missing });
    try {
      const env = dead.env();
      for (const cmd of ["ps", "version", `run --rm ${L} ${TEST_IMAGE} true`, `exec ${sleeper} true`, `logs ${sleeper}`, "events --since 1s --until 2s"]) {
        const r = await asUser(ALICE, `docker ${cmd}`, env);
        expect(r.code, cmd).not.toBe(0);
        expect(r.stderr, cmd).toContain(`ds01: the Docker engine does not answer on ${missing}`);
      }
      // A socket file where nothing listens (ECONNREFUSED) says the same.
      await execFileWithTimeout("mkdir", ["-p", join(gate.dir, "no-engine")], { timeoutMs: 5_000 });
      await execFileWithTimeout("/usr/bin/python3", ["-c", `import socket,os; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(missing)}); os._exit(0)`], { timeoutMs: 10_000 });
      const refused = await asUser(ALICE, "docker ps", env);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`ds01: the Docker engine does not answer on ${missing}`);
      expect(dead.child.exitCode).toBeNull();
      // The gate in front of the real engine is unaffected.
      const ok = await docker(ALICE, "ps -q");
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      await dead.stop();
    }
  });
});
