// Pinned devices: a request that names its GPUs (`--gpus device=0,1`, `device=GPU-…`/`MIG-…`,
// `NVIDIA_VISIBLE_DEVICES=0`, `--device /dev/nvidia0`) gets exactly those slots, and only when
// each is allocatable, free and within the caller's quota — the same rules as any other request,
// never a way around them (pure).
import type { Holdings } from "./holdings.js";
import { formatEq, lessOrEqual, sumWeights } from "./numbers.js";
import type { Rejection } from "./quota.js";
import type { AllocationRequest } from "./request.js";
import type { Slot } from "./slots.js";

/** The slot a device id names: a UUID, a GPU index ("0"), or GPU index:MIG index ("0:1"). */
export function resolveDevice(slots: readonly Slot[], id: string): Slot | Rejection {
  const t = id.trim();
  const byUuid = slots.find((s) => s.uuid === t || s.gpuUuid === t);
  if (byUuid) {
    if (byUuid.uuid === t) return byUuid;
    return migModeGpu(slots, byUuid.gpuIndex, t);
  }
  const index = /^(\d+)$/.exec(t);
  if (index) {
    const full = slots.find((s) => s.kind === "full" && s.gpuIndex === Number(index[1]));
    if (full) return full;
    if (slots.some((s) => s.gpuIndex === Number(index[1]))) return migModeGpu(slots, Number(index[1]), t);
  }
  const mig = /^(\d+):(\d+)$/.exec(t);
  if (mig) {
    const s = slots.find((x) => x.kind === "mig" && x.gpuIndex === Number(mig[1]) && x.migIndex === Number(mig[2]));
    if (s) return s;
  }
  return { code: "never_fits", message: `there is no GPU device "${t}" on this host (see ds01 gpu list)` };
}

function migModeGpu(slots: readonly Slot[], gpuIndex: number, id: string): Rejection {
  const devs = slots.filter((s) => s.kind === "mig" && s.gpuIndex === gpuIndex).map((s) => `${s.gpuIndex}:${s.migIndex}`);
  return { code: "never_fits", message: `GPU ${id} is in MIG mode and cannot be given whole; name one of its MIG devices (${devs.join(", ") || "none"}) or ask for a number of GPUs` };
}

export interface PinnedInput {
  slots: readonly Slot[];
  holdings: Pick<Holdings, "taken" | "byUuid">;
  request: AllocationRequest & { pinned: readonly string[] };
  allowFullGpu: boolean;
  budget: number | null;
  budgetText: string;
}

export type PinnedChoice = { ok: true; slots: Slot[]; gpuEquivalent: number } | { ok: false; rejection: Rejection };

export function choosePinned(input: PinnedInput): PinnedChoice {
  const picked: Slot[] = [];
  for (const id of input.request.pinned) {
    const s = resolveDevice(input.slots, id);
    if ("code" in s) return { ok: false, rejection: s };
    if (picked.includes(s)) return { ok: false, rejection: { code: "invalid_request", message: `device ${id} is named twice` } };
    if (!s.allocatable || s.weight === null) return { ok: false, rejection: { code: "never_fits", message: `GPU device ${id} (${s.id}) is not allocatable: ${s.unavailableReason ?? "unknown weight"}` } };
    if (s.kind === "full" && !input.allowFullGpu) {
      return { ok: false, rejection: { code: "full_gpu_not_allowed", message: `${input.request.user} may not use a full GPU (allow_full_gpu: false); name a MIG device instead` } };
    }
    if (input.holdings.taken.has(s.uuid)) {
      const who = [...(input.holdings.byUuid.get(s.uuid) ?? []), ...(s.kind === "mig" ? (input.holdings.byUuid.get(s.gpuUuid) ?? []) : [])].map((h) => `${h.user}'s ${h.container}`);
      return {
        ok: false,
        rejection: { code: "no_free_slot", message: `GPU device ${id} (${s.id}) is taken${who.length ? ` by ${[...new Set(who)].join(", ")}` : ""}; ask for a number of GPUs to get any free one` },
      };
    }
    picked.push(s);
  }
  const weight = sumWeights(picked.map((s) => s.weight!));
  if (input.budget !== null && !lessOrEqual(weight, input.budget)) {
    return {
      ok: false,
      rejection: { code: "quota_would_exceed", message: `${input.budgetText}; the named device${picked.length === 1 ? " weighs" : "s weigh"} ${formatEq(weight)} and only ${formatEq(Math.max(0, input.budget))} remain` },
    };
  }
  return { ok: true, slots: picked, gpuEquivalent: weight };
}
