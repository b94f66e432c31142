// docker load through the gate, as the real test users: an archive may set only tags that are new
// or the caller's (as docker tag, build -t, commit and import may). Archives are made with docker
// save of an image imported here ("evil": what an attacker would put behind someone's tag), and by
// hand (test/helpers/tar-builder.ts). Every image tag made here starts with PREFIX and is removed,
// as root on the engine, in afterAll; so is the imported image.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { manifestJson, paxEntry, tarArchive, tarEntry } from "../helpers/tar-builder.js";
import { auditEvents } from "../daemon/daemon-process.js";
import { asUser, ensureTestUsers, startGate, type GateProcess } from "./gate-harness.js";
import { imageId, importEvilImage, placeReadable, removeImages, root, sh } from "./image-fixtures.js";

const ALICE = "ds01gt-alice";
const BOB = "ds01gt-bob";
const ADMIN = "ds01gt-admin";
const runId = newRunId("gate-load");
const PREFIX = `ds01-load-${runId}`;
const SHARED = `${PREFIX}-shared:v1`; // exists, made by root: nobody's on record
const ALICES = `${PREFIX}-alice:v1`; // made by alice through the gate
const EVIL = `${PREFIX}-evil:src`;
let gate: GateProcess;
let testId = "";
let evilId = "";
const file: Record<string, string> = {};

/** A file in the gate's directory the test users can read. */
const place = (name: string, data?: Buffer) => placeReadable(gate.dir, name, data);

/** docker save of `image` under `tag` only (the tag is made for the save and removed again). */
async function saveAs(image: string, tag: string, name: string): Promise<string> {
  const path = join(gate.dir, name);
  for (const args of [["tag", image, tag], ["save", tag, "-o", path], ["rmi", tag]]) {
    const r = await root(args);
    if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr}`);
  }
  return place(name);
}

async function compressed(path: string, tool: "gzip" | "xz"): Promise<string> {
  const r = await sh(tool, ["-k", "-f", path]);
  if (r.code !== 0) throw new Error(`${tool}: ${r.stderr}`);
  return place(`${path.split("/").pop()}.${tool === "gzip" ? "gz" : "xz"}`);
}

const load = (user: string, path: string) => asUser(user, `docker load -i ${path}`, gate.env(), 120_000);

function deniedLoads(): string[] {
  return auditEvents(gate.stateDir, "gate.denied")
    .filter((e) => String(e.details.path).includes("/images/load"))
    .map((e) => String(e.details.reason));
}

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate();
  testId = await imageId(TEST_IMAGE);
  evilId = await importEvilImage(EVIL);
  // The archives are saved before the tags they name exist (saving makes the tag for a moment).
  file.shared = await saveAs(EVIL, SHARED, "shared.tar");
  file.alices = await saveAs(EVIL, ALICES, "alices.tar");
  file.fresh = await saveAs(EVIL, `${PREFIX}-fresh:v1`, "fresh.tar");
  file.freshGz = await compressed(await saveAs(TEST_IMAGE, `${PREFIX}-fresh-gz:v1`, "fresh-gz.tar"), "gzip");
  file.xz = await compressed(await saveAs(EVIL, `${PREFIX}-xz:v1`, "xz.tar"), "xz");
  file.bad = await saveAs(EVIL, `${PREFIX}-bad:v1`, "bad.tar");
  file.sharedGz = await compressed(file.shared, "gzip");
  file.alicesGz = await compressed(file.alices, "gzip");
  const byId = await root(["save", evilId, "-o", join(gate.dir, "untagged.tar")]);
  expect(byId.code, byId.stderr).toBe(0);
  file.untagged = place("untagged.tar");
  expect((await root(["tag", TEST_IMAGE, SHARED])).code).toBe(0);
  const tagged = await asUser(ALICE, `docker tag ${TEST_IMAGE} ${ALICES}`, gate.env());
  expect(tagged.code, tagged.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  // By tag only: the test image's own id carries other tags and must stay.
  await removeImages(PREFIX, evilId);
  await gate?.stop();
}, 120_000);

describe("docker load through the gate", () => {
  it("refuses an archive naming a tag that exists and is nobody's on record; the tag keeps its image (tar and gzip)", async () => {
    for (const path of [file.shared!, file.sharedGz!]) {
      const r = await load(ALICE, path);
      expect(r.code, path).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`ds01: docker load \\(nothing was loaded\\): the image tag ${PREFIX}-shared:v1 already exists and is not yours on record.*save the image under a name of your own`));
      expect(await imageId(SHARED)).toBe(testId);
    }
    expect(deniedLoads().filter((r) => r.includes("-shared:v1 already exists")).length).toBeGreaterThanOrEqual(2);
  });

  it("refuses an archive naming another user's tag (tar and gzip)", async () => {
    for (const path of [file.alices!, file.alicesGz!]) {
      const r = await load(BOB, path);
      expect(r.code, path).not.toBe(0);
      expect(r.stderr).toMatch(/ds01: docker load \(nothing was loaded\): the image tag .*-alice:v1 is ds01gt-alice's; choose another name/);
      expect(await imageId(ALICES)).toBe(testId);
    }
  });

  it("loads an archive naming new tags, and records them as the loader's: another user cannot load over them", async () => {
    const r = await load(ALICE, file.fresh!);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Loaded image: ${PREFIX}-fresh:v1`);
    expect(await imageId(`${PREFIX}-fresh:v1`)).toBe(evilId);
    const again = await load(ALICE, file.fresh!); // her own tag: she may point it again
    expect(again.code, again.stderr).toBe(0);
    const bob = await load(BOB, file.fresh!);
    expect(bob.code).not.toBe(0);
    expect(bob.stderr).toMatch(/the image tag .*-fresh:v1 is ds01gt-alice's/);
    const gz = await load(ALICE, file.freshGz!); // 2 MB of the test image, gzip-compressed
    expect(gz.code, gz.stderr).toBe(0);
    expect(gz.stdout).toContain(`Loaded image: ${PREFIX}-fresh-gz:v1`);
    expect(await imageId(`${PREFIX}-fresh-gz:v1`)).toBe(testId);
  });

  it("loads an archive without tags (saved by image id) as before", async () => {
    const r = await load(BOB, file.untagged!);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Loaded image ID: ${evilId}`);
  });

  it("refuses xz (which it cannot read) with the command that decompresses it first", async () => {
    const r = await load(ALICE, file.xz!);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ds01: docker load \(nothing was loaded\): the archive is xz-compressed, which the gate cannot read .*decompress it first: xz -dc FILE \| docker load/);
    expect(await imageId(`${PREFIX}-xz:v1`)).toBe("");
  });

  it("refuses an archive it cannot parse: a wrong checksum, a cut-off entry, a manifest that is not JSON", async () => {
    const archive = readFileSync(file.bad!);
    const spoiled = Buffer.from(archive);
    spoiled[150] = spoiled[150] === 0x31 ? 0x32 : 0x31; // a digit of the first header's checksum
    const cut = archive.subarray(0, archive.indexOf(Buffer.from("manifest.json")) + 512 + 20); // inside manifest.json
    const notJson = tarArchive([{ name: "cfg.json", data: "{}" }, { name: "manifest.json", data: '[{"RepoTags": ["x:1"' }]);
    const cases: [Buffer, RegExp][] = [
      [spoiled, /not a valid tar stream \(a header's checksum is wrong\)/],
      [cut, /ends in the middle of an entry/],
      [notJson, /manifest.json is not valid JSON/],
    ];
    for (const [i, [data, message]] of cases.entries()) {
      const r = await load(ALICE, place(`malformed-${i}.tar`, data));
      expect(r.code, String(message)).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
    expect(await imageId(`${PREFIX}-bad:v1`)).toBe("");
  });

  it("refuses crafted archives that name a tag in manifest.json at the end, in repositories only, in an OCI index, or behind a link", async () => {
    const filler = tarEntry({ name: "blob/layer.tar", data: Buffer.alloc(256 * 1024, 1) });
    const cases: [string, Buffer][] = [
      ["manifest.json at the end", tarArchive([filler, { name: "c.json", data: "{}" }, { name: "manifest.json", data: manifestJson([SHARED], "c.json", ["blob/layer.tar"]) }])],
      ["repositories only", tarArchive([filler, { name: "repositories", data: JSON.stringify({ [SHARED.split(":")[0]!]: { v1: "blob" } }) }])],
      ["an OCI index", tarArchive([{ name: "oci-layout", data: '{"imageLayoutVersion":"1.0.0"}' }, { name: "index.json", data: JSON.stringify({ schemaVersion: 2, manifests: [{ annotations: { "io.containerd.image.name": SHARED } }] }) }])],
      ["a PAX name", tarArchive([filler, paxEntry({ path: "manifest.json" }), { name: "harmless.txt", data: manifestJson([SHARED]) }])],
    ];
    for (const [what, data] of cases) {
      const r = await load(ALICE, place(`crafted-${what.replace(/\W+/g, "-")}.tar`, data));
      expect(r.code, what).not.toBe(0);
      expect(r.stderr, what).toMatch(/ds01: docker load \(nothing was loaded\): the image tag .*-shared:v1 already exists and is not yours on record/);
    }
    const viaLink = tarArchive([{ name: "l", type: "2", linkname: "." }, { name: "l/manifest.json", data: manifestJson([SHARED]) }]);
    const r = await load(ALICE, place("crafted-link.tar", viaLink));
    expect(r.stderr).toMatch(/ds01: docker load \(nothing was loaded\): the archive writes l\/manifest.json through the symbolic link l/);
    expect(await imageId(SHARED)).toBe(testId);
  });

  it("refuses early in a long upload (manifest.json first) and the client still gets the reason", async () => {
    const archive = tarArchive([{ name: "manifest.json", data: manifestJson([SHARED]) }, { name: "big", data: Buffer.alloc(64 * 1024 * 1024, 2) }]);
    const r = await load(ALICE, place("early.tar", archive));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ds01: docker load \(nothing was loaded\): the image tag .*-shared:v1 already exists/);
    expect(await imageId(SHARED)).toBe(testId);
  });

  it("passes an admin's load unchanged, whatever it names", async () => {
    const r = await load(ADMIN, file.shared!);
    expect(r.code, r.stderr).toBe(0);
    expect(await imageId(SHARED)).toBe(evilId);
    expect((await root(["tag", TEST_IMAGE, SHARED])).code).toBe(0);
  });
});
