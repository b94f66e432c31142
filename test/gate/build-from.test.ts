// A build that starts from a tag another user made on this server is refused before anything is
// built (src/gate/build-context.ts): the real docker CLI's classic builder as the test users,
// through the real gate, against the real engine. Alice tags the test image under names of her
// own; Bob's builds that name them (FROM, an ARG, COPY --from, another Dockerfile, a compressed
// context) are refused and leave no image; builds on unrecorded images, or on one's own tags, work.
// Images carry ds01.test.run=<runId> and are removed, with the tags made here, in afterAll.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  const t = await asUser(ALICE, `docker tag ${TEST_IMAGE} ${planted}`, gate.env());
  expect(t.code, t.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await gate?.stop();
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
