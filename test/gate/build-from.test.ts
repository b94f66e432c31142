// A build that starts from a tag another user made on this server is refused before anything is
// built (src/gate/build-context.ts): the real docker CLI's classic builder as the test users,
// through the real gate, against the real engine. Alice tags the test image under names of her
// own; Bob's builds that name them (FROM, an ARG, COPY --from, another Dockerfile, a compressed
// context) are refused and leave no image; builds on unrecorded images, or on one's own tags, work.
// Images carry ds01.test.run=<runId> and are removed, with the tags made here, in afterAll.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tarArchive } from "../helpers/tar-builder.js";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { LABEL } from "../../src/constants/labels.js";
import { asUser, ensureTestUsers, startGate, type GateProcess } from "./gate-harness.js";

const ALICE = "ds01gt-alice";
const BOB = "ds01gt-bob";
const runId = newRunId("gate-from");
const planted = `ds01-from-${runId}:base`;
const builtTags: string[] = [];
let gate: GateProcess;
let noBuildKit: GateProcess;

async function root(args: string[]) {
  const r = await execFileWithTimeout("docker", args, { timeoutMs: 60_000 });
  return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

let n = 0;
/** `user` builds a context holding these files (name → contents) with `flags` ({dir}: the context's directory). */
async function build(user: string, files: Record<string, string>, flags = "") {
  const dir = `ds01gt-from-${runId}-${n}`;
  const tag = `ds01-from-${runId}-built:${n++}`;
  builtTags.push(tag);
  const writes = Object.entries(files)
    .map(([name, text]) => `mkdir -p "$(dirname ${dir}/${name})" && printf '%s' '${text.replace(/'/g, "'\\''")}' > ${dir}/${name}`)
    .join(" && ");
  const r = await asUser(user, `rm -rf ${dir} && ${writes} && DOCKER_BUILDKIT=0 docker build -q --label ${LABEL.testRun}=${runId} -t ${tag} ${flags.replace("{dir}", dir)} ${dir}; rc=$?; rm -rf ${dir}; exit $rc`, gate.env(), 180_000);
  const exists = (await root(["image", "inspect", tag])).code === 0;
  return { ...r, tag, exists };
}

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate();
  noBuildKit = await startGate({ gateKeys: "  allow_buildkit: false\n" });
  const t = await asUser(ALICE, `docker tag ${TEST_IMAGE} ${planted}`, gate.env());
  expect(t.code, t.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await gate?.stop();
  await noBuildKit?.stop();
  const labelled = await root(["images", "-q", "--filter", `label=${LABEL.testRun}=${runId}`]);
  for (const t of [planted, ...builtTags]) await root(["rmi", t]);
  for (const id of new Set(labelled.stdout.split("\n").filter(Boolean))) await root(["rmi", "-f", id]);
}, 120_000);

const refusedFrom = (how: string, line: number) => new RegExp(`ds01: docker build \\(nothing was built\\): \\S+ builds on ${planted.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(${how}, line ${line}\\), which was made on this server by ${ALICE}, not pulled from its registry`);

describe("a build on another user's tag", () => {
  it("FROM the tag: refused, nothing built", async () => {
    const r = await build(BOB, { Dockerfile: `FROM ${planted}\nRUN echo built\n` });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(refusedFrom("FROM", 1));
    expect(r.stderr).toMatch(/If you trust it, name it by its id there/);
    expect(r.exists).toBe(false);
  });

  it("the tag through a build argument, COPY --from, another Dockerfile, a compressed context: all refused", async () => {
    const viaArg = await build(BOB, { Dockerfile: "ARG BASE=busybox\nFROM ${BASE}\n" }, `--build-arg BASE=${planted}`);
    expect(viaArg.stderr).toMatch(refusedFrom("FROM", 2));
    const copy = await build(BOB, { Dockerfile: `FROM ${TEST_IMAGE}\n# a comment\nCOPY --from=${planted} /bin/sh /x\n` });
    expect(copy.stderr).toMatch(refusedFrom("COPY --from", 3));
    const other = await build(BOB, { Dockerfile: `FROM ${TEST_IMAGE}\n`, "sub/gpu.Dockerfile": `FROM ${TEST_IMAGE} AS a\nFROM \\\n  ${planted}\n` }, "-f {dir}/sub/gpu.Dockerfile");
    expect(other.stderr).toMatch(refusedFrom("FROM", 2));
    const compressed = await build(BOB, { Dockerfile: `FROM ${planted}\n` }, "--compress");
    expect(compressed.stderr).toMatch(refusedFrom("FROM", 1));
    for (const r of [viaArg, copy, other, compressed]) {
      expect(r.code).not.toBe(0);
      expect(r.exists).toBe(false);
    }
  });

  it("builds on an unrecorded image, and on one's own tag, go through", async () => {
    const plain = await build(BOB, { Dockerfile: `FROM ${TEST_IMAGE}\nRUN echo ok\n` });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.exists).toBe(true);
    const own = await build(ALICE, { Dockerfile: `FROM ${planted}\nRUN echo mine\n` });
    expect(own.code, own.stderr).toBe(0);
    expect(own.exists).toBe(true);
  });
});

let rawCount = 0;
/** `user` sends a BuildKit build (version=2) whose context is the body, a tar of this Dockerfile, to `via`. */
async function buildKitBuild(user: string, via: GateProcess, dockerfile: string) {
  const tag = `ds01-from-${runId}-bk:${rawCount}`;
  builtTags.push(tag);
  const body = tarArchive([{ name: "Dockerfile", data: dockerfile }]);
  const head = `POST /v1.41/build?version=2&t=${encodeURIComponent(tag)}&labels=${encodeURIComponent(JSON.stringify({ [LABEL.testRun]: runId }))} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  const file = join(via.dir, `bk-${rawCount++}`);
  writeFileSync(file, Buffer.concat([Buffer.from(head), body]), { mode: 0o644 });
  const r = await asUser(user, `${process.execPath} ${join(import.meta.dirname, "raw-request.mjs")} ${via.socket} ${file}`, {}, 120_000);
  const answer = JSON.parse(r.stdout) as { status: number; body: string; raw: string };
  return { ...answer, tag, exists: (await root(["image", "inspect", tag])).code === 0 };
}

async function session(user: string, via: GateProcess) {
  const r = await asUser(user, `${process.execPath} ${join(import.meta.dirname, "fixtures/session-upgrade.mjs")} ${via.socket}`, {}, 30_000);
  return JSON.parse(r.stdout) as { status: number; head: string };
}

describe("BuildKit", () => {
  it("a BuildKit build whose context is the body is read the same way: on another user's tag, refused and nothing built; on its own base, built", async () => {
    const refused = await buildKitBuild(BOB, gate, `FROM ${planted}\nRUN echo bk\n`);
    expect(refused.status, refused.raw).toBe(403);
    expect(JSON.parse(refused.body).message).toMatch(refusedFrom("FROM", 1));
    expect(refused.exists).toBe(false);
    const built = await buildKitBuild(BOB, gate, `FROM ${TEST_IMAGE}\nRUN echo bk\n`);
    expect(built.status, built.raw).toBe(200);
    expect(built.exists).toBe(true);
  });

  it("sessions pass (101) where BuildKit is allowed; with gate.allow_buildkit off, sessions and version=2 builds are refused with the way to build", async () => {
    expect((await session(BOB, gate)).status).toBe(101);
    const s = await session(BOB, noBuildKit);
    expect(s.status, s.head).toBe(403);
    expect(s.head).toMatch(/gate\.allow_buildkit.*DOCKER_BUILDKIT=0 docker build/);
    const b = await buildKitBuild(BOB, noBuildKit, `FROM ${TEST_IMAGE}\n`);
    expect(b.status).toBe(403);
    expect(b.exists).toBe(false);
    // The classic builder still works there.
    const classic = await asUser(BOB, `printf 'FROM ${TEST_IMAGE}\\n' | DOCKER_BUILDKIT=0 docker build -q --label ${LABEL.testRun}=${runId} -`, noBuildKit.env(), 120_000);
    expect(classic.code, classic.stderr).toBe(0);
  });
});
