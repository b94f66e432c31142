// docker load through the gate with archives crafted to make dockerd read a tag file the gate did
// not see as one. The attacker (bob) has an image of his own ("evil") and wants alice's tag to
// point at it. Every image tag made here starts with PREFIX and is removed in afterAll.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { tarArchive, type TarEntry } from "../helpers/tar-builder.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { asUser, ensureTestUsers, startGate, type GateProcess } from "./gate-harness.js";

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

async function sh(cmd: string, args: string[], timeoutMs = 60_000) {
  const r = await execFileWithTimeout(cmd, args, { timeoutMs });
  return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}
const root = (args: string[]) => sh("docker", args);
async function imageId(ref: string): Promise<string> {
  const r = await root(["image", "inspect", ref, "--format", "{{.Id}}"]);
  return r.code === 0 ? r.stdout.trim() : "";
}
function place(name: string, data: Buffer): string {
  const path = join(gate.dir, name);
  writeFileSync(path, data);
  chmodSync(path, 0o644);
  return path;
}
const load = (user: string, path: string) => asUser(user, `docker load -i ${path}`, gate.env(), 120_000);

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate();
  testId = await imageId(TEST_IMAGE);
  const imported = await sh("sh", ["-c", `d=$(mktemp -d) && echo evil > "$d/evil" && tar -C "$d" -c . | docker import - ${EVIL}; rc=$?; rm -rf "$d"; exit $rc`]);
  if (imported.code !== 0) throw new Error(`docker import: ${imported.stderr}`);
  evilId = await imageId(EVIL);
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
  const images = await root(["images", "--format", "{{.Repository}}:{{.Tag}}"]);
  const mine = images.stdout.split("\n").filter((i) => i.startsWith(PREFIX));
  if (mine.length) await root(["rmi", ...mine]);
  if (evilId && (await imageId(evilId))) await root(["rmi", evilId]);
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
