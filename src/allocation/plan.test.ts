import { describe, expect, it } from "vitest";
import { planAllocation, type PlanInput } from "./plan.js";
import { slotTable } from "./slots.js";
import type { AllocationRequest } from "./request.js";
import { holder, gpu, limits, migGpu, migUuid, reservation, gpuUuid } from "../../test/helpers/fleet.js";

const host = slotTable([gpu(0), gpu(1), migGpu(2, ["1g.10gb", "1g.10gb", "1g.10gb", "1g.10gb", "3g.40gb"])]).slots;

function plan(req: Partial<AllocationRequest>, rest: Partial<PlanInput> = {}) {
  return planAllocation({
    request: { user: "alice", container: "new", count: 1, profile: null, preferFull: false, ...req },
    limits: limits(),
    slots: host,
    containers: [],
    reservations: [],
    now: 10_000,
    listedAt: 9_000,
    ...rest,
  });
}

describe("planAllocation: quota layers", () => {
  const rejections: Array<{ name: string; req: Partial<AllocationRequest>; rest: Partial<PlanInput>; code: string; message: string }> = [
    {
      name: "GPU-equivalents exhausted",
      req: {},
      rest: { limits: limits({ max_gpu_equivalents: 2 }), containers: [holder("a", "alice", [gpuUuid(0)]), holder("b", "alice", [gpuUuid(1)], "exited")] },
      code: "quota_exhausted",
      message: "alice holds 2.0 of 2.0 GPU-equivalents (max_gpu_equivalents): containers a, b",
    },
    {
      name: "aggregate gpu_limit tighter than max_gpu_equivalents",
      req: {},
      rest: { limits: limits({ max_gpu_equivalents: 4, gpu_limit: 1 }), containers: [holder("a", "alice", [gpuUuid(0)])] },
      code: "quota_exhausted",
      message: "alice holds 1.0 of 1.0 GPU-equivalents (gpu_limit): containers a",
    },
    {
      name: "three 1g.10gb = 3/7 exactly at a 3/7 limit",
      req: { profile: "1g.10gb" },
      rest: {
        limits: limits({ max_gpu_equivalents: 3 / 7 }),
        containers: [0, 1, 2].map((d) => holder(`m${d}`, "alice", [migUuid(2, d)])),
      },
      code: "quota_exhausted",
      message: "alice holds 0.429 of 0.429 GPU-equivalents (max_gpu_equivalents): containers m0, m1, m2",
    },
    {
      name: "the only slots that fit weigh more than what remains",
      req: { preferFull: true },
      rest: { limits: limits({ max_gpu_equivalents: 0.5 }), containers: [holder("m", "alice", [migUuid(2, 4)])] },
      code: "quota_would_exceed",
      message:
        "alice holds 0.429 of 0.5 GPU-equivalents (max_gpu_equivalents): containers m; the lightest free slot weighs 0.143 and only 0.071 remain",
    },
    {
      name: "per-container cap",
      req: { count: 3 },
      rest: { limits: limits({ max_gpu_slots_per_container: 2 }) },
      code: "per_container_cap",
      message: "alice asked for 3 GPU slots in one container; the limit is 2 (max_gpu_slots_per_container)",
    },
    {
      name: "full GPU asked for but not allowed",
      req: { preferFull: true },
      rest: { limits: limits({ allow_full_gpu: false }) },
      code: "full_gpu_not_allowed",
      message: "alice may not use a full GPU (allow_full_gpu: false); ask for MIG devices instead",
    },
    {
      name: "max containers (stopped ones and reservations count)",
      req: {},
      rest: {
        limits: limits({ max_containers_per_user: 2 }),
        containers: [holder("a", "alice", [], "exited")],
        reservations: [reservation(gpuUuid(1), "alice", "r1")],
      },
      code: "max_containers",
      message: "alice has 2 of 2 containers (max_containers_per_user): a, r1",
    },
    {
      name: "no free slot",
      req: {},
      rest: { containers: [holder("x", "bob", [gpuUuid(0), gpuUuid(1), gpuUuid(2)])] },
      code: "no_free_slot",
      message: "no free GPU slot: all 7 allocatable slots are taken or unsuitable",
    },
    {
      name: "not enough free MIG devices of the profile (the host has enough)",
      req: { profile: "1g.10gb", count: 3 },
      rest: { containers: [holder("x", "bob", [migUuid(2, 0), migUuid(2, 1)])] },
      code: "not_enough_free_slots",
      message: "only 2 free MIG devices with profile 1g.10gb, 3 requested",
    },
    {
      name: "more MIG devices of the profile than the host has: never, not just not now",
      req: { profile: "3g.40gb", count: 2 },
      rest: {},
      code: "never_fits",
      message: "this host has 1 MIG device with profile 3g.40gb that could serve the request, 2 requested",
    },
    {
      name: "more slots than the host has",
      req: { count: 8 },
      rest: { containers: [holder("x", "bob", [gpuUuid(0)])] },
      code: "never_fits",
      message: "this host has 7 GPU slots that could serve the request, 8 requested",
    },
    {
      name: "profile absent from the host",
      req: { profile: "7g.80gb" },
      rest: {},
      code: "never_fits",
      message: "no MIG device with profile 7g.80gb exists on this host (profiles: 1g.10gb, 3g.40gb)",
    },
    {
      name: "full GPUs not allowed and every MIG device taken",
      req: {},
      rest: { limits: limits({ allow_full_gpu: false }), containers: [holder("x", "bob", [gpuUuid(2)])] },
      code: "no_free_slot",
      message: "no free MIG device (alice may not use a full GPU: allow_full_gpu: false): all 7 allocatable slots are taken or unsuitable",
    },
    {
      name: "a fractional slot count",
      req: { count: 1.5 },
      rest: {},
      code: "invalid_request",
      message: "the number of GPU slots must be a whole number, not 1.5",
    },
    {
      name: "a container without GPUs still counts against max containers",
      req: { count: 0 },
      rest: { limits: limits({ max_containers_per_user: 1 }), containers: [holder("a", "alice", [])] },
      code: "max_containers",
      message: "alice has 1 of 1 containers (max_containers_per_user): a",
    },
  ];
  it.each(rejections)("rejects: $name", ({ req, rest, code, message }) => {
    const p = plan(req, rest);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.rejection).toEqual({ code, message });
  });

  it("a container without GPUs passes a used-up GPU quota", () => {
    const p = plan({ count: 0 }, { limits: limits({ max_gpu_equivalents: 1 }), containers: [holder("a", "alice", [gpuUuid(0)])] });
    expect(p.ok && p.slots).toEqual([]);
  });

  it("an existing container of the user does not count as a new one", () => {
    const p = plan({ container: "a" }, { limits: limits({ max_containers_per_user: 1 }), containers: [holder("a", "alice", [])] });
    expect(p.ok).toBe(true);
  });

  it("two 1g.10gb fit a 3/7 limit when one is held (epsilon-safe)", () => {
    const p = plan(
      { profile: "1g.10gb", count: 2 },
      { limits: limits({ max_gpu_equivalents: 3 / 7 }), containers: [holder("m0", "alice", [migUuid(2, 0)])] },
    );
    expect(p.ok && p.gpuEquivalent).toBeCloseTo(2 / 7, 9);
  });

  it("another user's holdings do not count against alice", () => {
    const p = plan({}, { limits: limits({ max_gpu_equivalents: 1 }), containers: [holder("b", "bob", [gpuUuid(0)])] });
    expect(p.ok && p.slots.map((s) => s.uuid)).toEqual([migUuid(2, 0)]);
  });

  it("falls back to lighter slots when the preferred ones exceed the budget", () => {
    const p = plan({ preferFull: true }, { limits: limits({ max_gpu_equivalents: 0.5 }) });
    expect(p.ok && p.slots.map((s) => s.uuid)).toEqual([migUuid(2, 0)]);
  });
});

describe("planAllocation: choice", () => {
  const cases: Array<{ name: string; req: Partial<AllocationRequest>; rest: Partial<PlanInput>; want: string[] }> = [
    { name: "MIG devices first by default (whole GPUs kept)", req: {}, rest: {}, want: [migUuid(2, 0)] },
    { name: "--prefer-full takes a full GPU", req: { preferFull: true }, rest: {}, want: [gpuUuid(0)] },
    { name: "--mig PROFILE takes that profile", req: { profile: "3g.40gb" }, rest: {}, want: [migUuid(2, 4)] },
    {
      name: "least-loaded full GPU first",
      req: { preferFull: true, count: 1 },
      rest: { containers: [holder("x", "bob", [gpuUuid(0)])] },
      want: [gpuUuid(1)],
    },
    {
      name: "multi-slot full request spreads over GPUs, then falls to MIG",
      req: { preferFull: true, count: 3 },
      rest: {},
      want: [gpuUuid(0), gpuUuid(1), migUuid(2, 0)],
    },
    {
      name: "reserved and stopped holdings are skipped",
      req: { preferFull: true },
      rest: { containers: [holder("s", "bob", [gpuUuid(0)], "exited")], reservations: [reservation(gpuUuid(1), "carol", "r")] },
      want: [migUuid(2, 0)],
    },
  ];
  it.each(cases)("$name", ({ req, rest, want }) => {
    const p = plan(req, rest);
    expect(p.ok && p.slots.map((s) => s.uuid)).toEqual(want);
  });

  it("prefers the MIG device on the least-loaded GPU", () => {
    const slots = slotTable([migGpu(0, ["1g.10gb", "1g.10gb"]), migGpu(1, ["1g.10gb", "1g.10gb"])]).slots;
    const p = plan({}, { slots, containers: [holder("x", "bob", [migUuid(0, 1)])] });
    expect(p.ok && p.slots.map((s) => s.uuid)).toEqual([migUuid(1, 0)]);
  });

  it("ties break by numeric GPU index: GPU 2 before GPU 10", () => {
    const slots = slotTable([gpu(10), gpu(2)]).slots;
    const p = plan({ preferFull: true }, { slots });
    expect(p.ok && p.slots[0]!.gpuIndex).toBe(2);
  });
});

describe("planAllocation: the named container", () => {
  it("refuses a container that belongs to someone else", () => {
    const p = plan({ container: "b" }, { containers: [holder("b", "bob", [])] });
    expect(!p.ok && p.rejection).toEqual({ code: "not_owner", message: "container b belongs to bob, not alice" });
  });

  it("counts the slots an existing container holds against the per-container cap", () => {
    const p = plan({ container: "a" }, { limits: limits({ max_gpu_slots_per_container: 1 }), containers: [holder("a", "alice", [gpuUuid(0)])] });
    expect(!p.ok && p.rejection).toEqual({
      code: "per_container_cap",
      message: "alice asked for 1 more GPU slot for a, which holds 1; the limit is 1 (max_gpu_slots_per_container)",
    });
  });
});

describe("planAllocation: pinned devices", () => {
  const pin = (ids: string[], rest: Partial<PlanInput> = {}) => plan({ count: ids.length, pinned: ids, preferFull: false }, rest);

  it("gives exactly the named devices when they are free and within quota, by index, UUID or gpu:mig", () => {
    const r = pin(["1", migUuid(2, 4), "2:0"]);
    expect(r.ok && r.slots.map((s) => s.id)).toEqual(["1", "2.4", "2.0"]);
  });

  it.each([
    { name: "taken", ids: ["0"], rest: { containers: [holder("x", "bob", [gpuUuid(0)])] }, code: "no_free_slot", message: "GPU device 0 (0) is taken by bob's x; ask for a number of GPUs to get any free one" },
    { name: "taken through its whole GPU", ids: ["2:1"], rest: { containers: [holder("w", "bob", [gpuUuid(2)])] }, code: "no_free_slot", message: "GPU device 2:1 (2.1) is taken by bob's w; ask for a number of GPUs to get any free one" },
    { name: "absent", ids: ["7"], rest: {}, code: "never_fits", message: 'there is no GPU device "7" on this host (see ds01 gpu list)' },
    { name: "a GPU in MIG mode, whole", ids: ["2"], rest: {}, code: "never_fits", message: "GPU 2 is in MIG mode and cannot be given whole; name one of its MIG devices (2:0, 2:1, 2:2, 2:3, 2:4) or ask for a number of GPUs" },
    { name: "named twice", ids: ["0", gpuUuid(0)], rest: {}, code: "invalid_request", message: `device ${gpuUuid(0)} is named twice` },
    { name: "a full GPU for a MIG-only user", ids: ["0"], rest: { limits: limits({ allow_full_gpu: false }) }, code: "full_gpu_not_allowed", message: "alice may not use a full GPU (allow_full_gpu: false); name a MIG device instead" },
    {
      name: "over the quota",
      ids: ["0", "1"],
      rest: { limits: limits({ max_gpu_equivalents: 1.5 }) },
      code: "quota_would_exceed",
      message: "alice holds 0.0 of 1.5 GPU-equivalents (max_gpu_equivalents): containers none; the named devices weigh 2.0 and only 1.5 remain",
    },
  ])("refuses a pinned device that is $name", ({ ids, rest, code, message }) => {
    const r = pin(ids, rest);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.rejection).toEqual({ code, message });
  });
});
