// Commands on a host without nvidia-smi (or with a failing one): what needs no GPU works, what
// needs one says what it could not read, and every --json prints one document.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Dockerode from "dockerode";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { useTestContainers } from "../helpers/containers.js";
import { runCli } from "../helpers/cli.js";

const tc = useTestContainers("nogpu");
const docker = new Dockerode();
let configDir: string;
let stateDir: string;

beforeAll(() => {
  configDir = mkdtempSync(join(tmpdir(), "ds01-nogpu-config-"));
  // More CPUs than any test host has: create caps them and says so.
  writeFileSync(join(configDir, "resource-limits.yaml"), "default_group: std\ndefaults:\n  max_cpus: 1000\n  memory: 64m\ngroups:\n  std: {}\n");
  stateDir = mkdtempSync(join(tmpdir(), "ds01-nogpu-state-"));
});
afterAll(() => {
  rmSync(configDir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

const MISSING = { DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi" };
const FAILING = { DS01_NVIDIA_SMI: "/bin/false" };

function ds01(args: string[], env: Record<string, string>) {
  return runCli(["--config", configDir, "--state-dir", stateDir, ...args], {
    env: { ...process.env, ...env, DS01_CONFIG_DIR: "", DS01_ALLOCATION_BROKER: "off" },
    uid: 0,
    userName: "root",
  });
}

describe("ds01 create without GPUs on a host without nvidia-smi", { timeout: 120_000 }, () => {
  it("creates the container, max_cpus capped at the host's CPUs with a note", async () => {
    const name = `nogpu-${tc.runId}`;
    const r = await ds01(["create", "--user", "nogpuuser", "--image", TEST_IMAGE, "--name", name, "--label", `ds01.test.run=${tc.runId}`, "--json", "--", "sleep", "5"], MISSING);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { id: string; uuids: string[]; notes: string[] };
    expect(j.uuids).toEqual([]);
    expect(j.notes).toEqual([`max_cpus 1000 is more than this host's ${availableParallelism()} CPUs; the container gets ${availableParallelism()}`]);
    expect(r.err).toContain("ds01: note: max_cpus 1000 is more than this host's");
    const info = await docker.getContainer(j.id).inspect();
    expect(info.HostConfig.NanoCpus).toBe(availableParallelism() * 1e9);
  });

  it("asking for a GPU is refused with the reason, as JSON", async () => {
    const r = await ds01(["create", "--user", "nogpuuser", "--gpus", "1", "--image", TEST_IMAGE, "--name", `nogpu2-${tc.runId}`, "--json"], MISSING);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({ error: expect.stringMatching(/^cannot read the GPUs, so nothing was allocated: nvidia-smi not found/), exit_code: 1 });
  });
});

describe("GPU read commands without GPU information", { timeout: 120_000 }, () => {
  it("gpu status: no nvidia-smi → exit 0 with a note; a failing one → exit 1 with the error; reservations still shown", async () => {
    const missing = await ds01(["gpu", "status", "--json"], MISSING);
    expect(missing.code, missing.err).toBe(0);
    const doc = JSON.parse(missing.out);
    expect(doc).toMatchObject({ note: expect.stringMatching(/^cannot read the GPUs: nvidia-smi not found/), slots: [] });
    expect(doc.users).toBeDefined();
    const failing = await ds01(["gpu", "status", "--json"], FAILING);
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.out)).toMatchObject({ error: expect.stringMatching(/^cannot read the GPUs: /), slots: [] });
    const text = await ds01(["gpu", "status"], FAILING);
    expect(text.code).toBe(1);
    expect(text.err).toMatch(/^ds01: cannot read the GPUs: .*; showing reservations only\n/);
    expect(text.err).not.toContain("nothing was allocated");
  });

  it("gpu health --dry-run --json: one document either way", async () => {
    const missing = await ds01(["gpu", "health", "--dry-run", "--json"], MISSING);
    expect(missing.code).toBe(0);
    expect(JSON.parse(missing.out)).toMatchObject({ dry_run: true, gpus_checked: 0, actions: [], note: expect.stringMatching(/nvidia-smi not found/) });
    const failing = await ds01(["gpu", "health", "--dry-run", "--json"], FAILING);
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.out)).toMatchObject({ dry_run: true, gpus_checked: 0, actions: [], error: expect.stringMatching(/^GPU probe failed, nothing checked/) });
  });
});
