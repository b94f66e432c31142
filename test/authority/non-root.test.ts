// Non-root callers never make a system decision on their own: real users, real bin/ds01.js
// processes, a root-owned state directory like /var/lib/ds01, the real engine.
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullGpus, gpuUuid, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";
import { useTestContainers } from "../helpers/containers.js";
import { ALICE, ds01As, ensureUser, removeCreatedUsers, sharedTempDir } from "./users.js";
import { execFileWithTimeout } from "../../src/util/exec.js";

const LIMITS = `default_group: std
defaults:
  max_gpu_equivalents: 1.0
  max_gpu_slots_per_container: 1
  allow_full_gpu: true
  max_containers_per_user: null
groups:
  std: {}
`;
// What alice would like her quota to be.
const GENEROUS = LIMITS.replace("max_gpu_equivalents: 1.0", "max_gpu_equivalents: 8.0");

const tc = useTestContainers("authority");
let dir: string;
let fake: FakeGpus;
let configDir: string;
let stateDir: string;
let env: Record<string, string>;

/** As root, in its own process, like an admin at the shell. */
async function asRoot(args: string[]) {
  const r = await execFileWithTimeout(process.execPath, [join(import.meta.dirname, "../../bin/ds01.js"), "--config", configDir, "--state-dir", stateDir, ...args], {
    timeoutMs: 120_000,
    env: { PATH: process.env.PATH, HOME: "/root", ...fake.env },
  });
  return { code: r.code, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

beforeAll(async () => {
  await ensureUser(ALICE, ["docker"]);
  dir = sharedTempDir("ds01-authority-");
  // A GPU of this file's own: containers of other tests on the shared engine hold the usual UUIDs.
  fake = await writeFakeGpuState({ gpus: fullGpus(1).map((g) => ({ ...g, uuid: gpuUuid(0, "a0701111") })) });
  chmodSync(join(fake.path, ".."), 0o755);
  chmodSync(fake.path, 0o644);
  configDir = join(dir, "config");
  mkdirSync(configDir, { mode: 0o755 });
  writeFileSync(join(configDir, "resource-limits.yaml"), LIMITS, { mode: 0o644 });
  // Root's state, as /var/lib/ds01 is: a directory only root may enter.
  stateDir = join(dir, "state");
  mkdirSync(stateDir, { mode: 0o750 });
  env = { ...fake.env, DS01_CONFIG_DIR: configDir, DS01_STATE_DIR: stateDir };
}, 120_000);

afterAll(async () => {
  await tc.removeAll();
  await removeCreatedUsers();
  rmSync(dir, { recursive: true, force: true });
});

describe("deciding commands as a non-root user", { timeout: 300_000 }, () => {
  it("gpu allocate is refused, decides nothing in a private store, and root's reservation stands", async () => {
    const root = await asRoot(["gpu", "allocate", "--user", "ds01au-bob", "--container", "held", "--gpus", "1", "--json"]);
    expect(root.code, root.stderr).toBe(0);
    const held = (JSON.parse(root.stdout) as { uuids: string[] }).uuids;

    // Without DS01_STATE_DIR: the old fallback was a private ~/.local/state/ds01.
    const r = await ds01As(ALICE, ["gpu", "allocate", "--container", "mine", "--gpus", "1", "--json"], fake.env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^ds01: ds01 gpu allocate .*only root/m);
    expect(JSON.parse(r.stdout)).toMatchObject({ exit_code: 1 });
    expect(existsSync(`/home/${ALICE}/.local/state/ds01`)).toBe(false);

    const status = await asRoot(["gpu", "status", "--json"]);
    const slots = (JSON.parse(status.stdout) as { slots: { uuid: string; holders: { user: string }[] }[] }).slots;
    expect(slots.find((s) => s.uuid === held[0])!.holders).toEqual([expect.objectContaining({ user: "ds01au-bob" })]);
  });

  it("--config pointing at one's own generous limits lifts nothing: still refused", async () => {
    const own = join(`/home/${ALICE}`, "my-config");
    const mk = await execFileWithTimeout("su", ["-s", "/bin/sh", ALICE, "-c", `mkdir -p ${own} && cat > ${own}/resource-limits.yaml`], { timeoutMs: 30_000, input: GENEROUS });
    expect(mk.code).toBe(0);
    for (const args of [
      ["--config", own, "gpu", "allocate", "--container", "big", "--gpus", "1"],
      ["--config", own, "--state-dir", `/home/${ALICE}/my-state`, "gpu", "allocate", "--container", "big", "--gpus", "1"],
      ["--config", own, "create", "--image", "busybox", "--name", "big"],
      ["--config", own, "gpu", "release", "--container", "held"],
    ]) {
      const r = await ds01As(ALICE, args, fake.env);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/only root/);
    }
    expect(existsSync(`/home/${ALICE}/my-state`)).toBe(false);
  });

  it("check (enforcement) and gpu health (resets) are refused; their dry runs still work", async () => {
    const c = await tc.create({ labels: { "ds01.user": "ds01au-bob" } });
    for (const args of [["check"], ["gpu", "health"]]) {
      const r = await ds01As(ALICE, args, env);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/only root/);
    }
    const dry = await ds01As(ALICE, ["check", "--dry-run", "--json"], env);
    expect(dry.code, dry.stderr).toBe(0);
    // It says that it could not read the system's records instead of pretending there are none.
    expect(dry.stderr).toMatch(/cannot read .*ds01\.sqlite/);
    await c.remove();
  });
});

describe("read commands as a non-root user", { timeout: 300_000 }, () => {
  it("events: an audit log the caller may not read is said to be unreadable, not empty", async () => {
    expect(existsSync(join(stateDir, "ds01.sqlite"))).toBe(true);
    const r = await ds01As(ALICE, ["events", "--json"], env);
    expect(r.stderr).not.toMatch(/nothing recorded/);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot read the audit log .*ds01\.sqlite.*permission denied/);
    const gs = await ds01As(ALICE, ["gpu", "status", "--json"], env);
    expect(gs.code, gs.stderr).toBe(1);
    expect(gs.stderr).toMatch(/cannot read the GPU reservations .*allocation\.sqlite.*permission denied/);
  });

  it("events: a store the admin lets everyone read is read read-only", async () => {
    // What an admin does to let everyone read: the directory and every file in it.
    const files = readdirSync(stateDir).map((f) => join(stateDir, f));
    chmodSync(stateDir, 0o755);
    for (const f of files) chmodSync(f, 0o644);
    try {
      const r = await ds01As(ALICE, ["events", "--type", "gpu.allocate", "--json"], env);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { events: { user: string }[] }).events).toEqual([expect.objectContaining({ user: "ds01au-bob" })]);
      // gpu status reads the reservations read-only: root's reservation shows as held by bob.
      const gs = await ds01As(ALICE, ["gpu", "status", "--json"], env);
      expect(gs.code, gs.stderr).toBe(0);
      const slots = (JSON.parse(gs.stdout) as { slots: { uuid: string; holders: { user: string }[] }[] }).slots;
      expect(slots.find((s) => s.uuid === gpuUuid(0, "a0701111"))!.holders).toEqual([expect.objectContaining({ user: "ds01au-bob" })]);
      expect(existsSync(`/home/${ALICE}/.local/state/ds01`)).toBe(false);
    } finally {
      for (const f of files) chmodSync(f, 0o640);
      chmodSync(stateDir, 0o750);
    }
  });
});
