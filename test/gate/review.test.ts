// Security review of the gate: each test is one escape or hole found by hand, written as what the
// gate SHOULD do, so it fails while the hole is open. Everything runs as the real non-admin test
// users through the real gate; containers, volumes and networks carry ds01.test.run=<runId>, and
// the images and the one anonymous volume made here are removed by name in afterAll.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { asUser, ensureTestUsers, removeRunContainers, removeRunObjects, startGate, type GateProcess } from "./gate-harness.js";

const ALICE = "ds01gt-alice";
const BOB = "ds01gt-bob";
const runId = newRunId("gate-rev");
const GINA = "ds01gt-gina"; // a user of its own: its container count must not move under other test files
const L = `--label ds01.test.run=${runId}`;
const IMAGE_PREFIX = `ds01-review-${runId}`;
let gate: GateProcess;
let bobC = "";
const anonVolumes: string[] = [];
const cleanupPaths: string[] = [];

async function root(args: string[], timeoutMs = 30_000) {
  const r = await execFileWithTimeout("docker", args, { timeoutMs });
  return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

async function docker(user: string, args: string) {
  return asUser(user, `docker ${args}`, gate.env());
}

let scriptCount = 0;
/** Runs a shell script as `user` (DOCKER_HOST at the gate, S = the gate's socket). */
async function script(user: string, body: string, timeoutMs = 60_000) {
  const file = join(gate.dir, `review-${scriptCount++}.sh`);
  writeFileSync(file, `#!/bin/sh\nS='${gate.socket}'\nexport DOCKER_HOST='${gate.dockerHost}'\n${body}\n`, { mode: 0o755 });
  return asUser(user, file, {}, timeoutMs);
}

let rawCount = 0;
async function raw(user: string, request: string) {
  const helper = join(import.meta.dirname, "raw-request.mjs");
  const file = join(gate.dir, `review-request-${rawCount++}`);
  writeFileSync(file, request, { mode: 0o644 });
  const r = await asUser(user, `${process.execPath} ${helper} ${gate.socket} ${file}`, {});
  return JSON.parse(r.stdout) as { status: number; body: string; raw: string };
}

async function inspectLabels(id: string): Promise<Record<string, string>> {
  const r = await root(["inspect", id, "--format", "{{json .Config.Labels}}"]);
  return JSON.parse(r.stdout || "{}") as Record<string, string>;
}

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate();
  const b = await docker(BOB, `run -d ${L} --name ds01gt-rv-bob-${runId} ${TEST_IMAGE} sleep 900`);
  expect(b.code, b.stderr).toBe(0);
  bobC = b.stdout.trim();
}, 180_000);

afterAll(async () => {
  await removeRunContainers(runId);
  // A container paused by a commit in flight can survive the first pass.
  const left = (await root(["ps", "-aq", "--filter", `label=ds01.test.run=${runId}`])).stdout.split("\n").filter(Boolean);
  for (const id of left) {
    const r = await root(["rm", "-f", id], 60_000);
    if (r.code !== 0) console.warn(`review cleanup: docker rm -f ${id}: ${r.stderr}`);
  }
  await removeRunObjects(runId);
  for (const v of anonVolumes) await root(["volume", "rm", "-f", v]);
  const images = await root(["images", "--format", "{{.Repository}}:{{.Tag}}"]);
  const mine = images.stdout.split("\n").filter((i) => i.startsWith(IMAGE_PREFIX));
  if (mine.length) await root(["rmi", "-f", ...mine], 120_000);
  for (const p of cleanupPaths) rmSync(p, { recursive: true, force: true });
  await gate?.stop();
}, 180_000);

describe("host escapes", () => {
  it("a bind source swapped for a symlink between create and start does not mount the host", async () => {
    // The gate resolves the bind source at create; dockerd mounts it at START (and at every
    // restart), following whatever the caller has put there by then.
    const secret = `rv-secret-${runId}`;
    const marker = `/root/ds01-review-${runId}`;
    writeFileSync(marker, secret, { mode: 0o600 });
    cleanupPaths.push(marker);
    const dir = `rv-swap-${runId}`;
    const r = await script(
      ALICE,
      `rm -rf ~/${dir}; mkdir ~/${dir}
id=$(docker create ${L} -v $HOME/${dir}:/h ${TEST_IMAGE} cat /h${marker}) || exit 3
rmdir ~/${dir} && ln -s / ~/${dir}
docker start -a "$id"; echo
docker rm -f "$id" >/dev/null 2>&1; rm -f ~/${dir}`,
    );
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it("the gate says at start when a bind root lets containers plant setuid programs on the host", async () => {
    // Independent of the gate's own reading: findmnt for the mount of /home, docker info for userns-remap.
    const opts = (await execFileWithTimeout("findmnt", ["-no", "OPTIONS", "--target", "/home"], { timeoutMs: 5000 })).stdout.toString();
    const remap = (await root(["info", "--format", "{{json .SecurityOptions}}"])).stdout.includes("name=userns");
    const exposed = !remap && !(opts.split(",").includes("nosuid") && opts.split(",").includes("nodev"));
    const said = async () => gate.log().includes("can plant a root-owned setuid program");
    for (let i = 0; i < 50 && !(await said()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await said(), gate.log()).toBe(exposed);
    if (exposed) expect(gate.log()).toMatch(/"bind_root":"\/home\/\{user\}"/);
  });

  // OPEN (known hole, see docs/gate.md "Not yet done"): needs userns-remap, or the host's bind roots
  // mounted nosuid,nodev (the setuid bit lives on the file, so a nosuid mount inside the container
  // would not protect the host's path). it.fails turns red once it is fixed.
  it.fails("an allowed bind of one's home cannot be used to plant a setuid-root program on the host", async () => {
    // No race: root in the container is uid 0 on the host (no userns-remap), and the home bind has
    // no nosuid. The same route with mknod plants a device node (nodev missing).
    const dir = `rv-suid-${runId}`;
    const r = await script(
      ALICE,
      `rm -rf ~/${dir}; mkdir ~/${dir}; cp /bin/bash ~/${dir}/bash
docker run --rm ${L} -v $HOME/${dir}:/h ${TEST_IMAGE} sh -c 'chown 0:0 /h/bash && chmod 4755 /h/bash'
echo "euid=$(~/${dir}/bash -p -c 'id -u')"
rm -rf ~/${dir}`,
    );
    expect(r.stdout).toMatch(/euid=\d+/);
    expect(r.stdout).not.toContain("euid=0");
  });

  it("a network create may not pick a subnet that takes over the host's routes", async () => {
    // 203.0.113.0/29 is TEST-NET-3; any range works the same, e.g. the host's DNS server's.
    const r = await docker(ALICE, `network create ${L} --subnet 203.0.113.0/29 ds01gt-rv-route-${runId}`);
    const route = await execFileWithTimeout("ip", ["route", "get", "203.0.113.5"], { timeoutMs: 5000 });
    await root(["network", "rm", `ds01gt-rv-route-${runId}`]); // do not leave the host's route taken
    expect(route.stdout.toString()).not.toMatch(/dev br-/);
    expect(r.code, r.stdout).not.toBe(0);
  });

  it("dockerd is not made to connect to a root-only socket by a log driver option", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ds01-rv-log-")); // 0700, root's
    cleanupPaths.push(dir);
    const path = join(dir, "s");
    let received = "";
    const server: NetServer = createNetServer((c) => c.on("data", (d: Buffer) => (received += d.toString())));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const r = await docker(ALICE, `run --rm ${L} --log-driver syslog --log-opt syslog-address=unix://${path} --log-opt tag=sshd ${TEST_IMAGE} echo forged-${runId}`);
      await new Promise((res) => setTimeout(res, 500));
      expect(received).toBe("");
      expect(r.code, r.stdout).not.toBe(0);
    } finally {
      server.close();
    }
  });

  it("a build does not make dockerd fetch an arbitrary URL (as import from a URL is refused)", async () => {
    let hits = 0;
    const server: HttpServer = createHttpServer((_req, res) => {
      hits++;
      res.writeHead(404).end("ds01-review");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await raw(ALICE, `POST /v1.41/build?remote=http://127.0.0.1:${port}/ctx&t=${IMAGE_PREFIX}-remote HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n`);
      expect(hits).toBe(0);
      expect(r.status, r.raw).toBe(403);
    } finally {
      server.close();
    }
  });
});

describe("other users' things", () => {
  it("another user's anonymous volume cannot be mounted", async () => {
    const secret = `bob-anon-${runId}`;
    const b = await docker(BOB, `run -d ${L} -v /data ${TEST_IMAGE} sh -c 'echo ${secret} > /data/s; sleep 900'`);
    expect(b.code, b.stderr).toBe(0);
    const id = b.stdout.trim();
    const v = (await root(["inspect", id, "--format", "{{range .Mounts}}{{.Name}}{{end}}"])).stdout.trim();
    expect(v).toMatch(/^[0-9a-f]{64}$/);
    anonVolumes.push(v);
    await new Promise((res) => setTimeout(res, 500));
    const a = await docker(ALICE, `run --rm ${L} -v ${v}:/x ${TEST_IMAGE} cat /x/s`);
    expect(a.stdout).not.toContain(secret);
    expect(a.code).not.toBe(0);
    await root(["rm", "-f", id]);
  });

  it("a container cannot join another user's network at create", async () => {
    const net = `ds01gt-rv-bobnet-${runId}`;
    const n = await docker(BOB, `network create ${L} ${net}`);
    expect(n.code, n.stderr).toBe(0);
    const a = await docker(ALICE, `run --rm ${L} --network ${net} ${TEST_IMAGE} true`);
    expect(a.code, a.stdout).not.toBe(0);
    expect(a.stderr).toMatch(/not yours/);
  });

  it("a commit cannot be redirected to another user's container by renaming between check and forward", async () => {
    // Alice names her container after the id prefix of Bob's and flips its name back and forth:
    // the gate checks `?container=<prefix>` (her container, by exact name), dockerd then resolves
    // the same text as the id prefix of Bob's. The gate forwards the ref, not the id it checked.
    // The same applies to container:<ref> modes, --volumes-from and build networkmode.
    const prefix = bobC.slice(0, 12);
    const repo = `${IMAGE_PREFIX}-steal`;
    const r = await script(
      ALICE,
      `docker create ${L} --name ${prefix} ${TEST_IMAGE} true >/dev/null || exit 3
( end=$(($(date +%s)+20)); while [ $(date +%s) -lt $end ]; do docker rename ${prefix} rv-away-${runId} 2>/dev/null; docker rename rv-away-${runId} ${prefix} 2>/dev/null; done ) &
end=$(($(date +%s)+20)); n=0
while [ $(date +%s) -lt $end ]; do
  n=$((n+1))
  curl -s --unix-socket "$S" -X POST -H 'Content-Type: application/json' -d '{}' "http://d/v1.41/commit?container=${prefix}&repo=${repo}&tag=t$n" >/dev/null &
  sleep 0.03
done
wait; echo tries=$n`,
      120_000,
    );
    expect(r.stdout).toMatch(/tries=\d+/);
    const tags = (await root(["images", repo, "--format", "{{.Tag}}"])).stdout.split("\n").filter(Boolean);
    const sources: string[] = [];
    for (const t of tags) sources.push((await root(["image", "inspect", `${repo}:${t}`, "--format", "{{.Container}}"])).stdout.trim());
    expect(sources.filter((s) => s === bobC).length, `${tags.length} commits`).toBe(0);
  }, 120_000);

  it("an image tag someone else made cannot be pointed at the caller's image", async () => {
    const theirs = `${IMAGE_PREFIX}:admin`;
    expect((await root(["tag", TEST_IMAGE, theirs])).code).toBe(0);
    const before = (await root(["image", "inspect", theirs, "--format", "{{.Id}}"])).stdout.trim();
    const r = await script(
      ALICE,
      `id=$(docker create ${L} ${TEST_IMAGE} true) || exit 3
docker commit "$id" ${IMAGE_PREFIX}:alice >/dev/null; docker rm "$id" >/dev/null
docker tag ${IMAGE_PREFIX}:alice ${theirs}; echo tag=$?`,
    );
    const after = (await root(["image", "inspect", theirs, "--format", "{{.Id}}"])).stdout.trim();
    expect(after).toBe(before);
    expect(r.stdout).not.toContain("tag=0");
  });

  it("a tag a user made is theirs: others can neither tag, commit, build nor pull over it; the owner can", async () => {
    const mine = `${IMAGE_PREFIX}-owned:v1`;
    const made = await script(ALICE, `docker tag ${TEST_IMAGE} ${mine} && echo ok`);
    expect(made.stdout, made.stderr).toContain("ok");
    const id = (await root(["image", "inspect", mine, "--format", "{{.Id}}"])).stdout.trim();
    const bob = await script(
      BOB,
      `id=$(docker create ${L} ${TEST_IMAGE} true) || exit 3
docker tag ${TEST_IMAGE} ${mine}; echo tag=$?
docker commit "$id" ${mine} >/dev/null; echo commit=$?
docker rm "$id" >/dev/null`,
    );
    expect(bob.stdout).toContain("tag=1");
    expect(bob.stdout).toContain("commit=1");
    expect(bob.stderr).toMatch(/ds01: the image tag .*-owned:v1 is ds01gt-alice's; choose another name/);
    const pull = await raw(BOB, `POST /v1.41/images/create?fromImage=${IMAGE_PREFIX}-owned&tag=v1 HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n`);
    expect(pull.status).toBe(403);
    expect(pull.body).toMatch(/is ds01gt-alice's \(made here\); pulling would replace it/);
    const build = await raw(BOB, `POST /v1.41/build?t=${encodeURIComponent(mine)} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: 0\r\n\r\n`);
    expect(build.status).toBe(403);
    expect((await root(["image", "inspect", mine, "--format", "{{.Id}}"])).stdout.trim()).toBe(id); // unchanged
    // The owner may point it again.
    const again = await script(ALICE, `id=$(docker create ${L} ${TEST_IMAGE} true) && docker commit "$id" ${mine} >/dev/null && docker rm "$id" >/dev/null && echo ok`);
    expect(again.stdout, again.stderr).toContain("ok");
    // Another user running the name is told whose it is; by its id, on purpose, it runs.
    const run = await script(BOB, `docker create ${L} ${mine} true; echo create=$?`);
    expect(run.stdout).toContain("create=1");
    expect(run.stderr).toMatch(/ds01: the image .*-owned:v1 was made on this server by ds01gt-alice, not pulled from its registry/);
    const byId = (await root(["image", "inspect", mine, "--format", "{{.Id}}"])).stdout.trim();
    const ok = await script(BOB, `docker create ${L} ${byId} true >/dev/null && echo ok`);
    expect(ok.stdout, ok.stderr).toContain("ok");
  });

  it("every tag of a repository cannot be pulled at once (it could replace tags others made)", async () => {
    const all = await raw(ALICE, `POST /v1.41/images/create?fromImage=busybox HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n`);
    expect(all.status).toBe(403);
    expect(all.body).toMatch(/pulling every tag of a repository/);
  });

  it("another user's containers are not listed in a network's inspect", async () => {
    const r = await raw(ALICE, "GET /v1.41/networks/bridge HTTP/1.1\r\nHost: docker\r\n\r\n");
    expect(r.status).toBe(200);
    expect(r.body).not.toContain(bobC);
  });
});

describe("query parameters smuggled in a form body (Go's ParseForm puts body values first)", () => {
  it("a rename cannot take an infrastructure name from a form body", async () => {
    const c = await docker(ALICE, `create ${L} ${TEST_IMAGE} true`);
    expect(c.code, c.stderr).toBe(0);
    const id = c.stdout.trim();
    const body = `name=ds01-prometheus-${runId}`;
    const r = await raw(ALICE, `POST /v1.41/containers/${id}/rename?name=harmless-${runId} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const name = (await root(["inspect", id, "--format", "{{.Name}}"])).stdout.trim();
    await root(["rm", "-f", id]);
    expect(name).not.toContain("ds01-prometheus");
    expect(r.status, r.raw).toBe(403);
  });

  it("an import cannot download from a URL given in a form body", async () => {
    let hits = 0;
    const server: HttpServer = createHttpServer((_req, res) => {
      hits++;
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const body = `fromSrc=http://127.0.0.1:${port}/as-root`;
      const r = await raw(ALICE, `POST /v1.41/images/create?fromSrc=-&repo=${IMAGE_PREFIX}-import HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      await new Promise((res) => setTimeout(res, 500));
      expect(hits).toBe(0);
      expect(r.status, r.raw).toBe(403);
    } finally {
      server.close();
    }
  });
});

describe("immunity and allocation claims", () => {
  it("labels inherited from the image cannot make a container protected or claim GPUs", async () => {
    const image = `${IMAGE_PREFIX}:labels`;
    const r = await script(
      ALICE,
      `id=$(docker create ${L} ${TEST_IMAGE} true) || exit 3
docker commit --change 'LABEL ds01.protected=true ds01.monitoring=true ds01.gpu.uuids=GPU-00000000-0000-0000-0000-00000000dead' "$id" ${image} >/dev/null || exit 4
docker rm "$id" >/dev/null
docker create ${L} ${image} true`,
    );
    const id = r.stdout.trim().split("\n").pop() ?? "";
    if (r.code !== 0 || !/^[0-9a-f]{64}$/.test(id)) return; // refused: what should happen
    const labels = await inspectLabels(id);
    await root(["rm", "-f", id]);
    expect(labels["ds01.protected"] ?? "").not.toBe("true");
    expect(labels["ds01.monitoring"] ?? "").not.toBe("true");
    expect(labels["ds01.gpu.uuids"] ?? "").toBe("");
  });

  // The gate keeps image labels between creates: a name that was clean must not stay "clean" once
  // it is moved onto an image with claims, through the gate or beside it.
  it("a name retagged through the gate onto an image with claims is read again at the next create", async () => {
    const moving = `${IMAGE_PREFIX}:moving`;
    const evil = `${IMAGE_PREFIX}:evil-tag`;
    const r = await script(
      ALICE,
      `id=$(docker create ${L} ${TEST_IMAGE} true) || exit 3
docker commit "$id" ${moving} >/dev/null || exit 4
docker commit --change 'LABEL ds01.protected=true' "$id" ${evil} >/dev/null || exit 5
docker rm "$id" >/dev/null
docker create ${L} ${moving} true >/dev/null || exit 6
docker tag ${evil} ${moving} || exit 7
docker create ${L} ${moving} true`,
    );
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim().split("\n").pop() ?? "";
    const labels = await inspectLabels(id);
    const image = (await root(["inspect", id, "--format", "{{.Config.Image}}"])).stdout.trim();
    expect(image).toBe(moving);
    expect((await root(["image", "inspect", moving, "--format", "{{json .Config.Labels}}"])).stdout).toContain("ds01.protected");
    expect(labels["ds01.protected"]).toBe("");
  }, 60_000);

  it("a name retagged beside the gate (root on the engine socket) is read again once dockerd reports it", async () => {
    const beside = `${IMAGE_PREFIX}:beside`;
    const evil = `${IMAGE_PREFIX}:evil-beside`;
    const made = await root(["create", "--label", `ds01.test.run=${runId}`, TEST_IMAGE, "true"]);
    expect(made.code, made.stderr).toBe(0);
    expect((await root(["commit", "--change", "LABEL ds01.protected=true", made.stdout.trim(), evil])).code).toBe(0);
    expect((await root(["tag", TEST_IMAGE, beside])).code).toBe(0);
    const first = await docker(ALICE, `create ${L} ${beside} true`); // the gate now holds the clean labels
    expect(first.code, first.stderr).toBe(0);
    expect((await root(["tag", evil, beside])).code).toBe(0);
    // dockerd's tag event reaches the gate a moment later; until then a create may still see the
    // old labels (the owner record keeps such a container unprotected all the same).
    let blanked = false;
    for (let i = 0; i < 20 && !blanked; i++) {
      const c = await docker(ALICE, `create ${L} ${beside} true`);
      expect(c.code, c.stderr).toBe(0);
      blanked = (await inspectLabels(c.stdout.trim()))["ds01.protected"] === "";
      if (!blanked) await new Promise((res) => setTimeout(res, 250));
    }
    expect(blanked).toBe(true);
  }, 60_000);
});

describe("limits", () => {
  it("docker update cannot lift the limits set at create", async () => {
    const c = await docker(ALICE, `run -d ${L} ${TEST_IMAGE} sleep 900`);
    expect(c.code, c.stderr).toBe(0);
    const id = c.stdout.trim();
    const before = (await root(["inspect", id, "--format", "{{.HostConfig.PidsLimit}}"])).stdout.trim();
    const body = JSON.stringify({ PidsLimit: -1 });
    const r = await raw(ALICE, `POST /v1.41/containers/${id}/update HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const after = (await root(["inspect", id, "--format", "{{.HostConfig.PidsLimit}}"])).stdout.trim();
    await root(["rm", "-f", id]);
    expect(after).toBe(before);
    expect(r.status, r.raw).toBe(403);
  });

  it("concurrent creates cannot exceed max_containers_per_user", async () => {
    const ps = await root(["ps", "-aq", "--filter", `label=ds01.user=${GINA}`]);
    const have = ps.stdout.split("\n").filter(Boolean).length;
    const limited = await startGate({ userOverrides: `${GINA}:\n  max_containers_per_user: ${have + 2}\n` });
    try {
      const body = JSON.stringify({ Image: TEST_IMAGE, Cmd: ["true"], Labels: { "ds01.test.run": runId } }).replace(/'/g, "");
      const file = join(limited.dir, "burst.sh");
      writeFileSync(file, `#!/bin/sh\nfor i in $(seq 1 16); do curl -s --unix-socket '${limited.socket}' -H 'Content-Type: application/json' -d '${body}' http://d/v1.41/containers/create & done; wait\n`, { mode: 0o755 });
      const r = await asUser(GINA, file, {});
      const created = (r.stdout.match(/"Id":"[0-9a-f]{64}"/g) ?? []).length;
      expect(created).toBeLessThanOrEqual(2);
    } finally {
      await limited.stop();
    }
  }, 120_000);
});

describe("fidelity (things that should work and do not)", () => {
  it("docker update of one's own container works from the CLI", async () => {
    const c = await docker(ALICE, `create ${L} ${TEST_IMAGE} true`);
    expect(c.code, c.stderr).toBe(0);
    const r = await docker(ALICE, `update --restart no ${c.stdout.trim()}`);
    expect(r.stderr).not.toMatch(/CgroupParent/);
    expect(r.code).toBe(0);
  });

  it("a container whose name is a prefix of 'containers' can be started", async () => {
    const name = "containe";
    const c = await docker(ALICE, `create ${L} --name ${name} ${TEST_IMAGE} true`);
    expect(c.code, c.stderr).toBe(0);
    const r = await docker(ALICE, `start ${name}`);
    await root(["rm", "-f", c.stdout.trim()]);
    expect(r.stderr).not.toMatch(/page not found/);
    expect(r.code).toBe(0);
  });

  it("a POST without a body (no Content-Length) starts a container", async () => {
    const c = await docker(ALICE, `create ${L} ${TEST_IMAGE} true`);
    expect(c.code, c.stderr).toBe(0);
    const r = await raw(ALICE, `POST /v1.41/containers/${c.stdout.trim()}/start HTTP/1.1\r\nHost: docker\r\n\r\n`);
    expect(r.status, r.raw).toBe(204);
  });
});
