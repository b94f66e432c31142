// `ds01 gpu list` in-process through main(), with the nvidia-smi stand-in, a real test container
// whose init PID the stand-in reports on a MIG device, and a local dcgm-exporter endpoint.
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, ROOT } from "../helpers/cli.js";
import { LABEL } from "../../src/constants/labels.js";
import { fixedClock } from "../../src/util/clock.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { STAND_IN_NVIDIA_SMI, fullGpus, gpuUuid, h100MigMixed, migUuid, writeFakeGpuState, type FakeGpuState } from "../helpers/fake-gpus.js";

const FOREIGN_PID = 4_194_305; // above the kernel's pid_max: never on this host

async function configWith(gpu: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ds01-gpu-list-config-"));
  await writeFile(join(dir, "resource-limits.yaml"), `default_group: student\ngroups:\n  student: {}\ngpu:\n${gpu}`);
  return dir;
}

function ds01(argv: string[], env: Record<string, string>) {
  return runCli(argv, { ...ROOT, env: { PATH: process.env.PATH ?? "", ...env }, clock: fixedClock(Date.parse("2026-01-01T00:00:00Z")) });
}

let containerId = "";
let initPid = 0;
let dcgm: Server;
let dcgmUrl = "";

beforeAll(async () => {
  const r = await execFileWithTimeout("docker", ["run", "-d", "--label", `${LABEL.testRun}=gpu-list-${process.pid}`, TEST_IMAGE, "sleep", "300"], { timeoutMs: 60_000 });
  expect(r.code, r.stderr.toString()).toBe(0);
  containerId = r.stdout.toString().trim();
  initPid = Number((await execFileWithTimeout("docker", ["inspect", "-f", "{{.State.Pid}}", containerId], { timeoutMs: 20_000 })).stdout.toString().trim());
  const mig = h100MigMixed(1);
  dcgm = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="1",UUID="${mig.uuid}",GPU_I_PROFILE="3g.40gb",GPU_I_ID="2",Hostname="h"} 0.5\n`);
  });
  await new Promise<void>((res) => dcgm.listen(0, "127.0.0.1", res));
  dcgmUrl = `http://127.0.0.1:${(dcgm.address() as AddressInfo).port}/metrics`;
});

afterAll(async () => {
  if (containerId) await execFileWithTimeout("docker", ["rm", "-f", containerId], { timeoutMs: 60_000 });
  dcgm?.closeAllConnections();
  await new Promise((r) => dcgm?.close(r));
});

function fleet(): FakeGpuState {
  const mig = h100MigMixed(1);
  mig.processes = [{ pid: initPid, name: "python train.py", used_memory_mib: 2048, gi: 2, ci: 0 }];
  const [full] = fullGpus(1, {
    util: 42,
    memory_used_mib: 3000,
    processes: [
      { pid: process.pid, name: "host-tool", used_memory_mib: 100 },
      { pid: FOREIGN_PID, name: "ghost", used_memory_mib: null },
    ],
  });
  return { gpus: [full!, mig] };
}

describe("ds01 gpu list", () => {
  it("--json: the exact contract, with container attribution, not_on_host and dcgm MIG activity", async () => {
    const fake = await writeFakeGpuState(fleet());
    const config = await configWith(`  dcgm_exporter_url: ${dcgmUrl}\n  probe_timeout_s: 20\n`);
    const r = await ds01(["--config", config, "gpu", "list", "--json"], fake.env);
    expect([r.code, r.err]).toEqual([0, ""]);
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc)).toEqual(["gpus"]);
    expect(doc.gpus[0]).toEqual({
      index: 0,
      uuid: gpuUuid(0),
      name: "NVIDIA A100-SXM4-80GB",
      mig_enabled: false,
      usable: true,
      utilization_pct: 42,
      memory_used_mib: 3000,
      memory_total_mib: 81920,
      mig_devices: [],
      processes: [
        { pid: process.pid, name: "host-tool", used_memory_mib: 100, gpu_instance_id: null, compute_instance_id: null, container_id: null, not_on_host: false },
        { pid: FOREIGN_PID, name: "ghost", used_memory_mib: null, gpu_instance_id: null, compute_instance_id: null, container_id: null, not_on_host: true },
      ],
    });
    const g = doc.gpus[1];
    expect([g.index, g.mig_enabled, g.usable, g.utilization_pct, g.memory_total_mib]).toEqual([1, true, true, null, 81559]);
    expect(g.mig_devices[0]).toEqual({
      uuid: migUuid(1, 0),
      gpu_instance_id: 2,
      compute_instance_id: 0,
      profile: "3g.40gb",
      gpu_equivalent: 3 / 7,
      memory_used_mib: 9,
      memory_total_mib: 40448,
      utilization_pct: 50,
    });
    expect(g.mig_devices.map((d: { profile: string; gpu_equivalent: number; utilization_pct: number | null }) => [d.profile, d.gpu_equivalent, d.utilization_pct])).toEqual([
      ["3g.40gb", 3 / 7, 50],
      ["2g.20gb", 2 / 7, null],
      ["1g.10gb", 1 / 7, null],
      ["1g.10gb", 1 / 7, null],
    ]);
    expect(g.processes).toEqual([
      { pid: initPid, name: "python train.py", used_memory_mib: 2048, gpu_instance_id: 2, compute_instance_id: 0, container_id: containerId, not_on_host: false },
    ]);
  });

  it("without --json: a readable table with MIG rows and process owners", async () => {
    const fake = await writeFakeGpuState(fleet());
    const r = await ds01(["--config", await configWith("  probe_timeout_s: 20\n"), "gpu", "list"], fake.env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^GPU\s+NAME\s+UUID\s+MIG\s+USABLE\s+UTIL\s+MEMORY\s+GPU-EQ$/m);
    expect(r.out).toMatch(new RegExp(`^0\\s+NVIDIA A100-SXM4-80GB\\s+${gpuUuid(0)}\\s+off\\s+yes\\s+42%\\s+3000 / 81920 MiB\\s+1\\.000$`, "m"));
    expect(r.out).toMatch(new RegExp(`^1\\.0\\s+MIG 3g\\.40gb GI 2 CI 0\\s+${migUuid(1, 0)}\\s+n/a\\s+9 / 40448 MiB\\s+0\\.429$`, "m"));
    expect(r.out).toMatch(new RegExp(`^1\\.0\\s+${initPid}\\s+python train\\.py\\s+2048 MiB\\s+2/0\\s+container ${containerId.slice(0, 12)}$`, "m"));
    expect(r.out).toMatch(new RegExp(`^0\\s+${FOREIGN_PID}\\s+ghost\\s+n/a\\s+n/a\\s+not on this host$`, "m"));
  });

  it("a MIG GPU without MIG devices is listed as unusable", async () => {
    const fake = await writeFakeGpuState({ gpus: [{ ...h100MigMixed(0), mig_devices: [] }] });
    const r = await ds01(["--config", await configWith("  probe_timeout_s: 20\n"), "gpu", "list", "--json"], fake.env);
    expect(JSON.parse(r.out).gpus.map((g: { usable: boolean; mig_enabled: boolean }) => [g.mig_enabled, g.usable])).toEqual([[true, false]]);
  });

  it("no nvidia-smi: empty list with a note, one line on stderr, exit 0", async () => {
    const r = await ds01(["--config", await configWith("  nvidia_smi: null\n"), "gpu", "list", "--json"], { DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi" });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ gpus: [], note: expect.stringMatching(/^no GPU information: nvidia-smi not found/) });
    expect(r.err.trimEnd().split("\n")).toEqual([expect.stringMatching(/^ds01: no GPU information: nvidia-smi not found/)]);
  });

  it("no GPU on the host: empty list, one line on stderr, exit 0 (table form prints nothing)", async () => {
    const fake = await writeFakeGpuState({ gpus: [] });
    const cfg = await configWith("  probe_timeout_s: 20\n");
    const json = await ds01(["--config", cfg, "gpu", "list", "--json"], fake.env);
    expect([json.code, JSON.parse(json.out), json.err]).toEqual([0, { gpus: [] }, "ds01: no GPUs found on this host\n"]);
    const text = await ds01(["--config", cfg, "gpu", "list"], fake.env);
    expect([text.code, text.out, text.err]).toEqual([0, "", "ds01: no GPUs found on this host\n"]);
  });

  it("a GPU missing from nvidia-smi's output: the others are listed, with a warning naming how many", async () => {
    const fake = await writeFakeGpuState({ gpus: fullGpus(2), attached_gpus: 3 });
    const cfg = await configWith("  probe_timeout_s: 20\n");
    const json = await ds01(["--config", cfg, "gpu", "list", "--json"], fake.env);
    expect(json.code).toBe(0);
    const j = JSON.parse(json.out) as { gpus: unknown[]; missing_gpus?: number };
    expect([j.gpus.length, j.missing_gpus]).toEqual([2, 1]);
    expect(json.err).toBe("ds01: warning: 1 attached GPU is missing from nvidia-smi's output (fallen off the bus?); ds01 uses the GPUs it read and takes no action on the missing one\n");
  });

  it("a broken nvidia-smi (garbage): empty list, the reason on stderr and in error, exit 1", async () => {
    const fake = await writeFakeGpuState({ gpus: fullGpus(1), garbage: true });
    const r = await ds01(["--config", await configWith("  probe_timeout_s: 20\n"), "gpu", "list", "--json"], fake.env);
    expect([r.code, JSON.parse(r.out)]).toEqual([1, { gpus: [], error: expect.stringMatching(/^no GPU information: nvidia-smi/) }]);
    expect(r.err).toMatch(/^ds01: no GPU information: nvidia-smi/);
  });

  it("config gpu.nvidia_smi wins over DS01_NVIDIA_SMI", async () => {
    const fake = await writeFakeGpuState({ gpus: fullGpus(2) });
    const r = await ds01(["--config", await configWith(`  nvidia_smi: ${STAND_IN_NVIDIA_SMI}\n  probe_timeout_s: 20\n`), "gpu", "list", "--json"], {
      ...fake.env,
      DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi",
    });
    expect([r.code, JSON.parse(r.out).gpus.length]).toEqual([0, 2]);
  });

  it("an unreachable dcgm-exporter leaves MIG activity unknown and says so; the list is still printed", async () => {
    const fake = await writeFakeGpuState({ gpus: [h100MigMixed(0)] });
    const r = await ds01(["--config", await configWith("  dcgm_exporter_url: http://127.0.0.1:1/metrics\n  probe_timeout_s: 20\n"), "gpu", "list", "--json"], fake.env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).gpus[0].mig_devices.map((d: { utilization_pct: number | null }) => d.utilization_pct)).toEqual([null, null, null, null]);
    expect(r.err).toMatch(/^ds01: MIG activity unknown: dcgm-exporter/);
  });

  it("an unexpected argument → exit 2", async () => {
    const r = await ds01(["gpu", "list", "extra"], {});
    expect(r.code).toBe(2);
  });
});
