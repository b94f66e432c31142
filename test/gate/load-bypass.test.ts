// docker load through the gate with archives crafted to make dockerd read a tag file the gate did
// not see as one. The attacker (bob) has an image of his own ("evil") and wants alice's tag to
// point at it. Every image tag made here starts with PREFIX and is removed in afterAll.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { tarArchive, type TarEntry } from "../helpers/tar-builder.js";
import { asUser, ensureTestUsers, startGate, type GateProcess } from "./gate-harness.js";
import { imageId, importEvilImage, placeReadable, removeImages, sh } from "./image-fixtures.js";

const ALICE = "ds01gt-alice";
const BOB = "ds01gt-bob";
const runId = newRunId("gate-load-bypass");
const PREFIX = `ds01-lbp-${runId}`;
const ALICES = `${PREFIX}-alice:v1`;
const EVIL = `${PREFIX}-evil:src`;
let gate: GateProcess;
let testId = "";
let evilId = "";
/** The files of `docker save EVIL` but manifest.json and repositories, and the manifest's one image. */
const files: TarEntry[] = [];
let image: Record<string, unknown> = {};

const place = (name: string, data: Buffer) => placeReadable(gate.dir, name, data);
const load = (user: string, path: string) => asUser(user, `docker load -i ${path}`, gate.env(), 120_000);

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate();
  testId = await imageId(TEST_IMAGE);
  evilId = await importEvilImage(EVIL);
  const dir = mkdtempSync(join(gate.dir, "save-"));
  try {
    const saved = await sh("sh", ["-c", `docker save ${evilId} | tar -C ${dir} -xf -`]);
    expect(saved.code, saved.stderr).toBe(0);
    const walk = (d: string): void => {
      for (const n of readdirSync(d).sort()) {
        const p = join(d, n);
        const rel = relative(dir, p);
        if (statSync(p).isDirectory()) {
          files.push({ name: `${rel}/`, type: "5" });
          walk(p);
        } else if (rel !== "manifest.json" && rel !== "repositories") files.push({ name: rel, data: readFileSync(p) });
      }
    };
    walk(dir);
    image = (JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Record<string, unknown>[])[0]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const tagged = await asUser(ALICE, `docker tag ${TEST_IMAGE} ${ALICES}`, gate.env());
  expect(tagged.code, tagged.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await removeImages(PREFIX, evilId);
  await gate?.stop();
}, 120_000);

describe("docker load: tag files the gate must see where dockerd sees them", () => {
  it("a GNU header whose access time is not a number (Go reads a name prefix there) cannot hide a link to the top: alice's tag keeps its image", async () => {
    // The gate would read the link as d; dockerd's reader makes it at sub/d -> .., so
    // sub/d/manifest.json is written as the load's own manifest.json.
    const archive = tarArchive([
      ...files,
      { name: "d", type: "2", linkname: "..", format: "gnu", gnuAtime: "sub" },
      { name: "sub/d/manifest.json", data: JSON.stringify([{ ...image, RepoTags: [ALICES] }]) },
    ]);
    const r = await load(BOB, place("gnu-prefix.tar", archive));
    expect(await imageId(ALICES)).toBe(testId);
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toMatch(/ds01: docker load \(nothing was loaded\)/);
  });
});
