// NvidiaSmiProbe against the stand-in (a real subprocess): invocations, timeouts, failures.
import { describe, expect, it } from "vitest";
import { InvalidInputError, TransientError } from "../../src/errors.js";
import { NVIDIA_SMI_ARGS, NvidiaSmiProbe, resolveNvidiaSmiPath } from "../../src/gpu/nvidia-smi-probe.js";
import { fullGpus, gpuUuid, h100Mig1g, migWithoutDevices, writeFakeGpuState, type FakeGpuState } from "../helpers/fake-gpus.js";

async function probeFor(state: FakeGpuState, timeoutMs = 20_000) {
  const fake = await writeFakeGpuState(state);
  return { fake, probe: new NvidiaSmiProbe({ env: { ...process.env, ...fake.env }, timeoutMs, resetTimeoutMs: timeoutMs }) };
}

describe("resolveNvidiaSmiPath", () => {
  it("config, then DS01_NVIDIA_SMI, then nvidia-smi on PATH", () => {
    expect(resolveNvidiaSmiPath("/opt/x/nvidia-smi", { DS01_NVIDIA_SMI: "/env" })).toBe("/opt/x/nvidia-smi");
    expect(resolveNvidiaSmiPath(null, { DS01_NVIDIA_SMI: "/env" })).toBe("/env");
    expect(resolveNvidiaSmiPath(undefined, {})).toBe("nvidia-smi");
    expect(resolveNvidiaSmiPath("", { DS01_NVIDIA_SMI: "" })).toBe("nvidia-smi");
  });
});

describe("NvidiaSmiProbe with the stand-in", () => {
  it("inventory: full GPUs, MIG devices with profiles and weights, processes on their MIG device", async () => {
    const mig = h100Mig1g(7, 1);
    mig.processes = [{ pid: 4242, name: "python", used_memory_mib: 500, gi: 9, ci: 0 }];
    const { probe, fake } = await probeFor({ gpus: [...fullGpus(1, { util: 37, memory_used_mib: 1024 }), mig], record_calls: true });
    const inv = await probe.inventory();
    expect(inv.error).toBeNull();
    expect(inv.gpus.map((g) => [g.index, g.uuid, g.migEnabled, g.usable, g.utilizationPct, g.memoryUsedMib, g.migDevices.length])).toEqual([
      [0, gpuUuid(0), false, true, 37, 1024, 0],
      [1, mig.uuid, true, true, null, 59, 7],
    ]);
    expect(inv.gpus[1]!.migDevices.map((d) => [d.deviceIndex, d.gpuInstanceId, d.profile, d.gpuEquivalent])).toEqual(
      Array.from({ length: 7 }, (_, d) => [d, 7 + d, "1g.10gb", 1 / 7]),
    );
    expect(inv.gpus[1]!.processes).toEqual([
      { pid: 4242, name: "python", usedMemoryMib: 500, gpuUuid: mig.uuid, migUuid: mig.mig_devices![2]!.uuid, gpuInstanceId: 9, computeInstanceId: 0, containerId: null, notOnHost: false },
    ]);
    // Exactly the two read invocations of docs/gpu-probe.md, nothing else.
    expect((await fake.calls()).sort()).toEqual([NVIDIA_SMI_ARGS.list, NVIDIA_SMI_ARGS.xml].map((a) => [...a]).sort());
  });

  it("sample: the cheap query, utilisation per UUID with [N/A] → null", async () => {
    const { probe, fake } = await probeFor({ gpus: [...fullGpus(2, { util: 55 }), h100Mig1g(1, 2)], record_calls: true });
    expect(await probe.sample()).toEqual(new Map([[gpuUuid(0), 55], [gpuUuid(1), 55], [gpuUuid(2, "11111111"), null]]));
    expect(await fake.calls()).toEqual([[...NVIDIA_SMI_ARGS.sample]]);
  });

  it("follows the state file: update() changes the next answer", async () => {
    const { probe, fake } = await probeFor({ gpus: fullGpus(1) });
    expect((await probe.inventory()).gpus[0]!.processes).toEqual([]);
    await fake.update((s) => void s.gpus[0]!.processes!.push({ pid: 31337, name: "late", used_memory_mib: 1 }));
    expect((await probe.inventory()).gpus[0]!.processes.map((p) => p.pid)).toEqual([31337]);
  });

  it("a MIG-enabled GPU without devices is reported and unusable", async () => {
    const { probe } = await probeFor({ gpus: [migWithoutDevices()] });
    const inv = await probe.inventory();
    expect(inv.gpus.map((g) => [g.migEnabled, g.usable, g.migDevices])).toEqual([[true, false, []]]);
  });

  it("no GPU ('No devices were found'): an empty list and no error", async () => {
    const { probe } = await probeFor({ gpus: [] });
    expect(await probe.inventory()).toEqual({ gpus: [], error: null, errorKind: null });
    expect(await probe.sample()).toEqual(new Map());
  });

  it("missing nvidia-smi: error 'nvidia-smi not found', never throws", async () => {
    const probe = new NvidiaSmiProbe({ path: "/nonexistent/nvidia-smi", timeoutMs: 5_000 });
    const inv = await probe.inventory();
    expect(inv.gpus).toEqual([]);
    expect(inv.error).toMatch(/^nvidia-smi not found/);
    expect(inv.errorKind).toBe("not_found");
    await expect(probe.sample()).rejects.toThrow(TransientError);
  });

  it.each([
    ["a hanging nvidia-smi (timeout)", { hang_ms: 30_000 }, /timed out after 300 ms/],
    ["a driver failure (non-zero exit)", { fail: true }, /exit code 9.*couldn't communicate with the NVIDIA driver/],
    ["garbage output with non-UTF-8 bytes", { garbage: true }, /nvidia-smi/],
    ["truncated XML", { truncate: ["xml"] as const }, /malformed XML/],
    ["truncated -L", { truncate: ["list"] as const }, /-L/],
  ])("%s → inventory.error, no GPUs, no invented numbers", async (_why, faults, message) => {
    const { probe } = await probeFor({ gpus: fullGpus(2), ...faults } as FakeGpuState, "hang_ms" in faults ? 300 : 20_000);
    const inv = await probe.inventory();
    expect(inv.gpus).toEqual([]);
    expect(inv.error).toMatch(message);
    expect(inv.errorKind).toBe("failed");
  });

  it("sample: a hang or garbage throws TransientError (source nvidia_smi)", async () => {
    for (const faults of [{ hang_ms: 30_000 }, { garbage: true }, { truncate: true }]) {
      const { probe } = await probeFor({ gpus: fullGpus(2, { util: 1 }), ...faults }, "hang_ms" in faults ? 300 : 20_000);
      const err = await probe.sample().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).source).toBe("nvidia_smi");
    }
  });

  it("reset: runs `-r -i <uuid>` once and the stand-in records it", async () => {
    const { probe, fake } = await probeFor({ gpus: fullGpus(2), record_calls: true });
    await probe.reset(gpuUuid(1));
    expect((await fake.read()).resets?.map((r) => r.uuid)).toEqual([gpuUuid(1)]);
    expect(await fake.calls()).toEqual([["-r", "-i", gpuUuid(1)]]);
  });

  it("reset: refused by nvidia-smi (GPU in use) or unknown GPU → TransientError, nothing recorded as reset", async () => {
    const { probe, fake } = await probeFor({ gpus: fullGpus(1, { processes: [{ pid: 77 }] }) });
    await expect(probe.reset(gpuUuid(0))).rejects.toThrow(/In use by another client/);
    await expect(probe.reset(gpuUuid(9))).rejects.toThrow(TransientError);
    expect((await fake.read()).resets ?? []).toEqual([]);
  });

  it("reset: refuses anything that is not a full-GPU UUID without running nvidia-smi", async () => {
    const { probe, fake } = await probeFor({ gpus: fullGpus(1), record_calls: true });
    for (const bad of ["MIG-0000", "0", "", "GPU-1 -r", "--all"]) await expect(probe.reset(bad)).rejects.toThrow(InvalidInputError);
    expect(await fake.calls()).toEqual([]);
  });
});
