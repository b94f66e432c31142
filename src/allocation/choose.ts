// Which free slots to hand out (pure): fit, then least-loaded GPU, then GPU index and MIG index.
import type { Holdings } from "./holdings.js";
import { lessOrEqual, sumWeights, formatEq } from "./numbers.js";
import type { Rejection } from "./quota.js";
import type { AllocationRequest } from "./request.js";
import { compareSlots, type Slot } from "./slots.js";

export interface ChoiceInput {
  slots: readonly Slot[];
  holdings: Pick<Holdings, "taken" | "loadByGpu">;
  request: AllocationRequest;
  allowFullGpu: boolean;
  /** GPU-equivalents the user may still take; null = unlimited. */
  budget: number | null;
  /** Says why, when the budget is what stops the request (the quota text). */
  budgetText: string;
}

export type Choice = { ok: true; slots: Slot[]; gpuEquivalent: number } | { ok: false; rejection: Rejection };

/** Slots this request may use at all: allocatable, free, of the asked profile, full GPUs only when allowed. */
export function candidates(input: Omit<ChoiceInput, "budget" | "budgetText">): Slot[] {
  const { request } = input;
  return input.slots.filter(
    (s) =>
      s.allocatable &&
      s.weight !== null &&
      !input.holdings.taken.has(s.uuid) &&
      (request.profile === null || (s.kind === "mig" && s.profile === request.profile)) &&
      (s.kind !== "full" || input.allowFullGpu),
  );
}

type Key = (s: Slot, load: number) => number[];

function greedy(pool: readonly Slot[], count: number, budget: number | null, loadByGpu: ReadonlyMap<string, number>, key: Key): Slot[] | null {
  const load = new Map(loadByGpu);
  const left = [...pool];
  const picked: Slot[] = [];
  let remaining = budget;
  while (picked.length < count) {
    let best: Slot | null = null;
    let bestKey: number[] = [];
    for (const s of left) {
      if (remaining !== null && !lessOrEqual(s.weight!, remaining)) continue;
      const k = key(s, load.get(s.gpuUuid) ?? 0);
      if (best === null || lexLess(k, bestKey) || (lexEqual(k, bestKey) && compareSlots(s, best) < 0)) {
        best = s;
        bestKey = k;
      }
    }
    if (best === null) return null;
    picked.push(best);
    left.splice(left.indexOf(best), 1);
    load.set(best.gpuUuid, (load.get(best.gpuUuid) ?? 0) + best.weight!);
    if (remaining !== null) remaining -= best.weight!;
  }
  return picked;
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
function lexEqual(a: number[], b: number[]): boolean {
  return a.every((v, i) => v === b[i]);
}

function noFreeSlot(input: ChoiceInput, free: number): Rejection {
  const { request } = input;
  // Singular and plural of what was asked for ("MIG devices with profile 1g.10gb", not "…1g.10gbs").
  const [one, many] =
    request.profile !== null
      ? [`MIG device with profile ${request.profile}`, `MIG devices with profile ${request.profile}`]
      : input.allowFullGpu
        ? ["GPU slot", "GPU slots"]
        : [`MIG device (${request.user} may not use a full GPU: allow_full_gpu: false)`, `MIG devices (${request.user} may not use a full GPU: allow_full_gpu: false)`];
  const what = (n: number) => (n === 1 ? one : many);
  if (request.profile !== null && !input.slots.some((s) => s.kind === "mig" && s.profile === request.profile)) {
    const profiles = [...new Set(input.slots.filter((s) => s.kind === "mig").map((s) => s.profile ?? "?"))].sort();
    return {
      code: "never_fits",
      message: `no MIG device with profile ${request.profile} exists on this host (profiles: ${profiles.length ? profiles.join(", ") : "none"})`,
    };
  }
  // Taken or not, this many slots could ever serve the request: asking for more can never succeed.
  const suitable = candidates({ ...input, holdings: { ...input.holdings, taken: new Set() } }).length;
  if (suitable < request.count) {
    return { code: "never_fits", message: `this host has ${suitable} ${what(suitable)} that could serve the request, ${request.count} requested` };
  }
  const total = input.slots.filter((s) => s.allocatable).length;
  if (free === 0) {
    return { code: "no_free_slot", message: `no free ${one}: all ${total} allocatable slots are taken or unsuitable` };
  }
  return { code: "not_enough_free_slots", message: `only ${free} free ${what(free)}, ${request.count} requested` };
}

/**
 * Picks `request.count` distinct slots. Order: slots that fit the request first (full GPUs first
 * with --prefer-full, MIG devices first otherwise, to keep whole GPUs for those who need them), then
 * the GPU with the fewest GPU-equivalents taken (updated after each pick, so a multi-slot request
 * spreads), then GPU index and MIG device index, numerically. If the budget stops that choice but
 * lighter slots would fit, the lightest slots are taken instead.
 */
export function chooseSlots(input: ChoiceInput): Choice {
  const { request } = input;
  const pool = candidates(input);
  if (pool.length < request.count) return { ok: false, rejection: noFreeSlot(input, pool.length) };
  const fullFirst = request.preferFull && input.allowFullGpu;
  const kindRank = (s: Slot) => (s.kind === "full" ? (fullFirst ? 0 : 1) : fullFirst ? 1 : 0);
  const picked =
    greedy(pool, request.count, input.budget, input.holdings.loadByGpu, (s, load) => [kindRank(s), load]) ??
    greedy(pool, request.count, input.budget, input.holdings.loadByGpu, (s, load) => [s.weight!, kindRank(s), load]);
  if (picked === null) {
    const cheapest = sumWeights(
      pool
        .map((s) => s.weight!)
        .sort((a, b) => a - b)
        .slice(0, request.count),
    );
    return {
      ok: false,
      rejection: {
        code: "quota_would_exceed",
        message: `${input.budgetText}; ${request.count === 1 ? "the lightest free slot weighs" : `the ${request.count} lightest free slots weigh`} ${formatEq(cheapest)} and only ${formatEq(Math.max(0, input.budget ?? 0))} remain`,
      },
    };
  }
  return { ok: true, slots: picked, gpuEquivalent: sumWeights(picked.map((s) => s.weight!)) };
}
