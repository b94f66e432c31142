// The gate against a user who tries to get out: every attempt through the real docker CLI (or raw
// HTTP where the CLI cannot express it) as a real non-admin Unix user, each refused with a ds01
// message, and the engine verified unchanged afterwards.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { asUser, engineJson, ensureTestUsers, removeRunContainers, removeRunObjects, startGate, type GateProcess } from "./gate-harness.js";

const ALICE = "ds01gt-alice";
const BOB = "ds01gt-bob";
const runId = newRunId("gate-esc");
const L = `--label ds01.test.run=${runId}`;
let gate: GateProcess;
let bobC = "";
let aliceC = "";
let bobExec = "";
let aliceNet = "";
const bobVolume = `ds01gt-bobvol-${runId}`;

async function docker(user: string, args: string, stdin?: string) {
  return asUser(user, stdin === undefined ? `docker ${args}` : `printf '%s' '${stdin}' | docker ${args}`, gate.env());
}

/** Containers of this run, as root sees them directly on the engine. */
async function runContainers(): Promise<string[]> {
  const r = await execFileWithTimeout("docker", ["ps", "-aq", "--no-trunc", "--filter", `label=ds01.test.run=${runId}`], { timeoutMs: 20_000 });
  return r.stdout.toString().split("\n").filter(Boolean).sort();
}

let rawCount = 0;
async function raw(user: string, request: string) {
  const script = join(import.meta.dirname, "raw-request.mjs");
  const file = join(gate.dir, `request-${rawCount++}`);
  writeFileSync(file, request, { mode: 0o644 });
  const r = await asUser(user, `${process.execPath} ${script} ${gate.socket} ${file}`, {});
  return JSON.parse(r.stdout) as { status: number; body: string; raw: string };
}

function post(path: string, body: string, extra = ""): string {
  return `POST ${path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate();
  const b = await docker(BOB, `run -d ${L} --name ds01gt-bob-${runId} ${TEST_IMAGE} sleep 600`);
  expect(b.code, b.stderr).toBe(0);
  bobC = b.stdout.trim();
  const a = await docker(ALICE, `run -d ${L} --name ds01gt-alice-${runId} ${TEST_IMAGE} sleep 600`);
  // (the raw helper needs the gate started; bob's exec instance is made below)
  expect(a.code, a.stderr).toBe(0);
  aliceC = a.stdout.trim();
  const v = await docker(BOB, `volume create --label ds01.test.run=${runId} ${bobVolume}`);
  expect(v.code, v.stderr).toBe(0);
  await asUser(ALICE, "rm -f ~/etc-link && ln -s /etc ~/etc-link", {});
  const ex = await raw(BOB, post(`/v1.41/containers/${bobC}/exec`, JSON.stringify({ Cmd: ["true"] })));
  expect(ex.status, ex.raw).toBe(201);
  bobExec = (JSON.parse(ex.body) as { Id: string }).Id;
  const n = await docker(ALICE, `network create --label ds01.test.run=${runId} ds01gt-net-${runId}`);
  expect(n.code, n.stderr).toBe(0);
  aliceNet = n.stdout.trim();
}, 180_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await removeRunObjects(runId);
  await execFileWithTimeout("docker", ["volume", "rm", "-f", bobVolume], { timeoutMs: 20_000 });
  await gate?.stop();
}, 120_000);

// Each: what alice runs through the CLI, and a word the refusal must contain.
const CLI_ESCAPES: [string, string, RegExp][] = [
  ["privileged", `run --rm ${L} --privileged IMG true`, /privileged/],
  ["cap-add SYS_ADMIN", `run --rm ${L} --cap-add SYS_ADMIN IMG true`, /capability SYS_ADMIN/],
  ["cap-add ALL", `run --rm ${L} --cap-add ALL IMG true`, /capability ALL/],
  ["host pid namespace", `run --rm ${L} --pid host IMG true`, /--pid=host/],
  ["host ipc namespace", `run --rm ${L} --ipc host IMG true`, /--ipc=host/],
  ["host uts namespace", `run --rm ${L} --uts host IMG true`, /--uts=host/],
  ["host userns", `run --rm ${L} --userns host IMG true`, /--userns=host/],
  ["host network", `run --rm ${L} --network host IMG true`, /--network=host/],
  ["a privileged host port", `run --rm ${L} -p 22:22 IMG true`, /host ports below 1024 are for the host's own services on this server .*-p 8022:22/],
  ["a privileged host port in a range, on one address", `run --rm ${L} -p 127.0.0.1:1000-1030:1000-1030 IMG true`, /-p 1000:1000: host ports below 1024/],
  ["host device", `run --rm ${L} --device /dev/null IMG true`, /--device/],
  ["device cgroup rule", `run --rm ${L} --device-cgroup-rule 'c 1:3 rwm' IMG true`, /device-cgroup-rule/],
  ["seccomp unconfined", `run --rm ${L} --security-opt seccomp=unconfined IMG true`, /security-opt/],
  ["apparmor unconfined", `run --rm ${L} --security-opt apparmor=unconfined IMG true`, /security-opt/],
  ["selinux label disable", `run --rm ${L} --security-opt label=disable IMG true`, /security-opt/],
  ["unmasked system paths", `run --rm ${L} --security-opt systempaths=unconfined IMG true`, /security-opt|MaskedPaths/],
  ["cgroup parent", `run --rm ${L} --cgroup-parent / IMG true`, /cgroup-parent/],
  ["bind of /", `run --rm ${L} -v /:/host IMG true`, /outside the directories you may mount/],
  ["bind of /etc", `run --rm ${L} -v /etc:/x IMG true`, /outside/],
  ["--mount bind of /", `run --rm ${L} --mount type=bind,src=/,dst=/host IMG true`, /outside/],
  ["bind of another user's home", `run --rm ${L} -v /home/${BOB}:/x IMG true`, /outside/],
  ["bind through a symlink to /etc", `run --rm ${L} -v /home/${ALICE}/etc-link:/x IMG true`, /resolves to \/etc/],
  ["bind with .. segments", `run --rm ${L} -v /home/${ALICE}/../${BOB}:/x IMG true`, /\.\.|outside/],
  ["label naming another owner", `run --rm ${L} --label ds01.user=${BOB} IMG true`, /another owner/],
  ["legacy owner label", `run --rm ${L} --label aime.mlc.USER=${BOB} IMG true`, /another owner/],
  ["protected label", `run --rm ${L} --label ds01.protected=true IMG true`, /immune/],
  ["monitoring label", `run --rm ${L} --label ds01.monitoring=true IMG true`, /monitoring/],
  ["infrastructure type label", `run --rm ${L} --label ds01.container_type=infrastructure IMG true`, /infrastructure/],
  ["GPU allocation label", `run --rm ${L} --label ds01.gpu.uuids=GPU-00000000-0000-0000-0000-000000000000 IMG true`, /GPU allocation/],
  ["infrastructure name", `run --rm ${L} --name ds01-grafana-${runId} IMG true`, /kept for ds01's own infrastructure/],
  ["volumes-from another's container", `run --rm ${L} --volumes-from BOBC IMG true`, /not yours/],
  ["pid namespace of another's container", `run --rm ${L} --pid container:BOBC IMG true`, /not yours/],
  ["network namespace of another's container", `run --rm ${L} --network container:BOBC IMG true`, /not yours/],
  ["negative oom score", `run --rm ${L} --oom-score-adj -500 IMG true`, /oom-score-adj/],
  ["oom kill disabled", `run --rm ${L} --oom-kill-disable IMG true`, /oom-kill-disable/],
  ["another user's volume", `run --rm ${L} -v ${bobVolume}:/x IMG true`, /belongs to ds01gt-bob/],
  ["stop another's container", `stop BOBC`, /not your container/],
  ["kill another's container", `kill BOBC`, /not your container/],
  ["remove another's container", `rm -f BOBC`, /not your container/],
  ["exec into another's container", `exec BOBC true`, /not your container/],
  ["logs of another's container", `logs BOBC`, /not your container/],
  ["inspect another's container", `inspect BOBC`, /not your container/],
  ["copy out of another's container", `cp BOBC:/etc/passwd -`, /not your container/],
  ["rename another's container", `rename BOBC stolen-${runId}`, /not your container/],
  ["commit another's container", `commit BOBC ds01gt-stolen-${runId}`, /not your container/],
  ["update another's container", `update --memory 64m BOBC`, /not your container/],
  ["pause another's container", `pause BOBC`, /not your container/],
  ["privileged exec in one's own container", `exec --privileged ALICEC true`, /exec --privileged/],
  ["rename one's own container to an infrastructure name", `rename ALICEC ds01-prometheus-${runId}`, /infrastructure/],
  ["remove another's volume", `volume rm ${bobVolume}`, /not yours/],
  ["bind-mounting volume options", `volume create --opt type=none --opt o=bind --opt device=/etc ds01gt-evil-${runId}`, /driver options/],
  ["container prune", `container prune -f`, /admins only/],
  ["volume prune", `volume prune -f`, /admins only/],
  ["image prune", `image prune -f`, /admins only/],
  ["network prune", `network prune -f`, /admins only/],
  ["swarm init", `swarm init`, /admins only/],
  ["plugins", `plugin ls`, /admins only/],
  ["image removal", `rmi ${TEST_IMAGE}`, /admins/],
];

describe("escape attempts through the docker CLI are refused and change nothing", () => {
  for (const [what, args, why] of CLI_ESCAPES) {
    it(what, async () => {
      const before = await runContainers();
      const cmd = args.replace("IMG", TEST_IMAGE).replaceAll("BOBC", bobC).replaceAll("ALICEC", aliceC);
      const r = await docker(ALICE, cmd);
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stderr).toMatch(/ds01: /);
      expect(r.stderr).toMatch(why);
      expect(await runContainers()).toEqual(before);
      const victim = (await engineJson(["inspect", bobC])) as { State: { Running: boolean }; Name: string; Config: { Labels: Record<string, string> } }[];
      expect(victim[0]!.State.Running).toBe(true);
      expect(victim[0]!.Name).toBe(`/ds01gt-bob-${runId}`);
    });
  }
});

describe("request smuggling and parser tricks are refused, not guessed", () => {
  const create = (body: string, extra = "") => post(`/v1.41/containers/create`, body, extra);
  const RAW: [string, () => string, number, RegExp][] = [
    ["Content-Length with Transfer-Encoding", () => `POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, /not valid HTTP/],
    ["two different Content-Lengths", () => `POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, 400, /not valid HTTP/],
    ["dot segments", () => `GET /v1.41/containers/../containers/json HTTP/1.1\r\nHost: d\r\n\r\n`, 400, /dot segments/],
    ["encoded dot segments", () => `GET /v1.41/containers/%2e%2e/json HTTP/1.1\r\nHost: d\r\n\r\n`, 400, /percent-encoded/],
    ["doubled slashes", () => `GET /v1.41//containers/json HTTP/1.1\r\nHost: d\r\n\r\n`, 400, /empty path segments/],
    ["mixed case path", () => `POST /v1.41/Containers/BOBC/stop HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n`, 403, /does not know/],
    ["unknown endpoint", () => `GET /v1.41/frobnicate HTTP/1.1\r\nHost: d\r\n\r\n`, 403, /does not know/],
    ["duplicate query parameter", () => post(`/v1.41/containers/create?name=a-${runId}&name=b-${runId}`, JSON.stringify({ Image: TEST_IMAGE })), 400, /more than once/],
    ["lower-case field names", () => create(JSON.stringify({ Image: TEST_IMAGE, Labels: { "ds01.test.run": runId }, hostconfig: { privileged: true } })), 403, /privileged/],
    ["the same field in two spellings", () => create(`{"Image":"${TEST_IMAGE}","Labels":{"ds01.test.run":"${runId}"},"HostConfig":{"Privileged":false,"privileged":true}}`), 403, /given twice/],
    ["a field name with a long s", () => create(`{"Image":"${TEST_IMAGE}","Labels":{"ds01.test.run":"${runId}"},"HostConfig":{"Bind\u017f":["/:/host"]}}`), 403, /outside ASCII/],
    ["a second JSON value after the body", () => create(`{"Image":"${TEST_IMAGE}"} {"HostConfig":{"Privileged":true}}`), 403, /not valid JSON/],
    ["CapAdd as a single string", () => create(JSON.stringify({ Image: TEST_IMAGE, Labels: { "ds01.test.run": runId }, HostConfig: { CapAdd: "SYS_ADMIN" } })), 403, /SYS_ADMIN/],
    ["MaskedPaths emptied", () => create(JSON.stringify({ Image: TEST_IMAGE, Labels: { "ds01.test.run": runId }, HostConfig: { MaskedPaths: [] } })), 403, /MaskedPaths/],
    ["another runtime", () => create(JSON.stringify({ Image: TEST_IMAGE, Labels: { "ds01.test.run": runId }, HostConfig: { Runtime: "kata" } })), 403, /runtime/],
    ["volume driver options in a mount", () => create(JSON.stringify({ Image: TEST_IMAGE, Labels: { "ds01.test.run": runId }, HostConfig: { Mounts: [{ Type: "volume", Source: `evil-${runId}`, Target: "/x", VolumeOptions: { DriverConfig: { Name: "local", Options: { type: "none", o: "bind", device: "/" } } } }] } })), 403, /type\/o\/device/],
    ["a create body over the size limit", () => create(JSON.stringify({ Image: TEST_IMAGE, Env: ["X=" + "a".repeat(1100 * 1024)] })), 403, /over the gate's limit/],
    ["an upgrade on create (a body the gate could not read)", () => create(JSON.stringify({ Image: TEST_IMAGE }), "Connection: Upgrade\r\nUpgrade: tcp\r\n"), 403, /connection upgrade/],
    ["HostConfig null, host settings at the top level (an old API's form dockerd still reads)", () => post("/v1.41/containers/create", JSON.stringify({ Image: "ds01-test-busybox", HostConfig: null, Privileged: true, Binds: ["/:/host"], Labels: { "ds01.test.run": runId } })), 403, /Privileged at the top of the create body/],
    ["build with the host network", () => `POST /v1.41/build?networkmode=host HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\nContent-Length: 0\r\n\r\n`, 403, /--network=host/],
    ["build with a cgroup parent", () => `POST /v1.41/build?cgroupparent=/ HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\nContent-Length: 0\r\n\r\n`, 403, /cgroup-parent/],
    ["BuildKit's raw control API", () => `POST /grpc HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n`, 403, /admins only/],
    ["import from a URL (the engine would fetch it as root)", () => `POST /v1.41/images/create?fromSrc=http://127.0.0.1:1/x.tar&repo=evil HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n`, 403, /import from a URL/],
    ["starting an exec instance of another's container", () => `POST /v1.41/exec/BOBEXEC/start HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{"Detach":true,"Tty":false}`, 403, /not your container/],
    ["connecting another's container to one's network", () => post(`/v1.41/networks/${aliceNet}/connect`, JSON.stringify({ Container: bobC })), 403, /not your container/],
    ["a forged identity header", () => `POST /v1.41/containers/BOBC/stop HTTP/1.1\r\nHost: d\r\nX-Ds01-User: ${BOB}\r\nAuthorization: Basic ${Buffer.from(`${BOB}:x`).toString("base64")}\r\nContent-Length: 0\r\n\r\n`, 403, /not your container/],
  ];
  for (const [what, request, status, why] of RAW) {
    it(what, async () => {
      const before = await runContainers();
      const r = await raw(ALICE, request().replaceAll("BOBC", bobC).replaceAll("BOBEXEC", bobExec).replaceAll("ALICENET", aliceNet));
      expect(r.status, r.raw).toBe(status);
      expect((JSON.parse(r.body) as { message: string }).message).toMatch(/^ds01: /);
      expect(r.body).toMatch(why);
      expect(await runContainers()).toEqual(before);
    });
  }

  // Archive uploads and downloads are spliced (no parser on the answer's way back) and end their
  // connection: a request sent after such a request's body is never forwarded, not even one the
  // caller may make (here: stopping her own container).
  const body = "x".repeat(700); // not a tar: the engine refuses it, and that answer is relayed
  const hidden = () => `POST /v1.41/containers/${aliceC}/stop?t=1 HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n`;
  const FRAMINGS: [string, () => string][] = [
    ["Content-Length", () => `Content-Length: ${body.length}\r\n\r\n${body}`],
    ["chunked", () => `Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
  ];
  for (const [framing, rest] of FRAMINGS) {
    it(`a request after an archive upload's body (${framing}) never reaches the engine`, async () => {
      const r = await raw(ALICE, `PUT /v1.41/containers/${aliceC}/archive?path=/tmp HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\n${rest()}${hidden()}`);
      expect(r.status, r.raw).toBeGreaterThanOrEqual(400);
      expect(r.raw).toMatch(/\r\nConnection: close\r\n/i);
      await new Promise((res) => setTimeout(res, 1500)); // what a stop would have taken
      const c = (await engineJson(["inspect", aliceC])) as { State: { Running: boolean } }[];
      expect(c[0]!.State.Running).toBe(true);
    });
  }
});

describe("ownership", () => {
  it("each user lists only their own containers", async () => {
    const a = await docker(ALICE, `ps -a -q --no-trunc --filter label=ds01.test.run=${runId}`);
    const b = await docker(BOB, `ps -a -q --no-trunc --filter label=ds01.test.run=${runId}`);
    expect(a.stdout.trim().split("\n")).toEqual([aliceC]);
    expect(b.stdout.trim().split("\n")).toEqual([bobC]);
  });

  it("docker system df counts only the caller's containers, and leaves out the shared build cache", async () => {
    const r = await raw(ALICE, "GET /v1.41/system/df HTTP/1.1\r\nHost: docker\r\n\r\n");
    expect(r.status, r.raw).toBe(200);
    const df = JSON.parse(r.body) as { Containers: { Id: string; Labels: Record<string, string> }[]; Images: unknown[]; BuildCache: unknown[] };
    const ids = df.Containers.map((c) => c.Id);
    expect(ids).toContain(aliceC);
    expect(ids).not.toContain(bobC);
    for (const c of df.Containers) expect(c.Labels["ds01.user"]).toBe(ALICE);
    expect(df.Images.length).toBeGreaterThan(0);
    expect(df.BuildCache).toEqual([]);
    const cli = await docker(ALICE, "system df");
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^TYPE\s+TOTAL/);
  });

  it("the gate stamps the caller as owner, and records it", async () => {
    const c = (await engineJson(["inspect", aliceC])) as { Config: { Labels: Record<string, string> } }[];
    expect(c[0]!.Config.Labels["ds01.user"]).toBe(ALICE);
    expect(c[0]!.Config.Labels["ds01.managed"]).toBe("true");
    const ev = await execFileWithTimeout(process.execPath, [join(import.meta.dirname, "../../bin/ds01.js"), "--state-dir", gate.stateDir, "--config", gate.configDir, "events", "--type", "gate.", "--json"], { timeoutMs: 20_000 });
    const { events } = JSON.parse(ev.stdout.toString()) as { events: { type: string; user: string; container_id: string | null; details: Record<string, unknown> }[] };
    expect(events.some((e) => e.type === "gate.create" && e.user === ALICE && e.container_id === aliceC)).toBe(true);
    expect(events.some((e) => e.type === "gate.denied" && e.user === ALICE && /not your container/.test(String(e.details.reason)))).toBe(true);
  });

  it("networks belong to their creator: another user can neither remove nor join them", async () => {
    const rm = await docker(BOB, `network rm ${aliceNet}`);
    expect(rm.code).not.toBe(0);
    expect(rm.stderr).toMatch(/ds01: network .* is not yours \(its owner is ds01gt-alice\)/);
    const join = await docker(BOB, `network connect ${aliceNet} ${bobC}`);
    expect(join.stderr).toMatch(/is not yours/);
    const net = (await engineJson(["network", "inspect", aliceNet])) as { Labels: Record<string, string>; Containers: Record<string, unknown> }[];
    expect(net[0]!.Labels["ds01.user"]).toBe(ALICE);
    expect(Object.keys(net[0]!.Containers)).toEqual([]);
  });

  it("a port of 1024 or above, or one Docker picks, is published", async () => {
    const r = await docker(ALICE, `run -d ${L} -p 127.0.0.1:1024:80 -p 127.0.0.1::81 ${TEST_IMAGE} sleep 30`);
    expect(r.code, r.stderr).toBe(0);
    const hc = (await engineJson(["inspect", r.stdout.trim()])) as { HostConfig: { PortBindings: Record<string, { HostPort: string }[]> } }[];
    expect(hc[0]!.HostConfig.PortBindings).toEqual({ "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "1024" }], "81/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] });
    expect((await docker(ALICE, `rm -f ${r.stdout.trim()}`)).code).toBe(0);
  });

  it("a user acts on their own container (stop, start, exec, logs)", async () => {
    for (const cmd of [`exec ${aliceC} true`, `logs ${aliceC}`, `stop -t 1 ${aliceC}`, `start ${aliceC}`]) {
      const r = await docker(ALICE, cmd);
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
    }
  });

  it("an admin (member of the admin group) passes through, and is audited for admin-only endpoints", async () => {
    const r = await docker("ds01gt-admin", `inspect --format '{{.Name}}' ${bobC}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`/ds01gt-bob-${runId}`);
    const p = await docker("ds01gt-admin", `network prune -f --filter label=ds01.test.run=${runId}`);
    expect(p.code, p.stderr).toBe(0);
  });
});
