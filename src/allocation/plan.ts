// One allocation decision (pure): quota layers, then the choice of slots.
import type { ObservedContainer } from "../model/container.js";
import { chooseSlots } from "./choose.js";
import { choosePinned } from "./pinned.js";
import { computeHoldings, emptyUsage, type Holdings, type UserUsage } from "./holdings.js";
import { equivalentCeiling, heldText, precheck, type QuotaLimits, type Rejection } from "./quota.js";
import type { AllocationRequest } from "./request.js";
import type { Reservation } from "./reservation.js";
import type { Slot } from "./slots.js";
import { sumWeights } from "./numbers.js";

export interface PlanInput {
  request: AllocationRequest;
  limits: QuotaLimits;
  slots: readonly Slot[];
  containers: readonly ObservedContainer[];
  reservations: readonly Reservation[];
  now: number;
  listedAt: number;
}

export type Plan =
  | { ok: true; slots: Slot[]; gpuEquivalent: number; usage: UserUsage }
  | { ok: false; rejection: Rejection; usage: UserUsage };

export function planAllocation(input: PlanInput): Plan {
  const holdings: Holdings = computeHoldings(input);
  const { request } = input;
  const usage = holdings.users.get(request.user) ?? emptyUsage(request.user);
  const named = input.containers.filter((c) => c.name === request.container);
  const foreign = named.find((c) => c.identity.owner !== request.user);
  if (foreign) {
    return {
      ok: false,
      rejection: { code: "not_owner", message: `container ${request.container} belongs to ${foreign.identity.owner}, not ${request.user}` },
      usage,
    };
  }
  const alreadyInContainer = new Set(named.flatMap((c) => c.identity.gpus)).size;
  const newContainer = !usage.containers.includes(request.container);
  const pre = precheck(request, usage, input.limits, newContainer, alreadyInContainer);
  if (pre) return { ok: false, rejection: pre, usage };
  if (request.count === 0) return { ok: true, slots: [], gpuEquivalent: 0, usage };
  const ceiling = equivalentCeiling(input.limits);
  const budget = ceiling === null ? null : sumWeights([ceiling.limit, -usage.equivalents]);
  const budgetText = ceiling === null ? "" : heldText(usage, ceiling);
  const pinned = request.pinned;
  if (pinned && pinned.length !== request.count) {
    return { ok: false, rejection: { code: "invalid_request", message: `${pinned.length} devices named for ${request.count} slots` }, usage };
  }
  const choice = pinned?.length
    ? choosePinned({ slots: input.slots, holdings, request: { ...request, pinned }, allowFullGpu: input.limits.allow_full_gpu, budget, budgetText })
    : chooseSlots({
    slots: input.slots,
    holdings,
    request,
    allowFullGpu: input.limits.allow_full_gpu,
    budget,
    budgetText,
  });
  if (!choice.ok) return { ok: false, rejection: choice.rejection, usage };
  return { ok: true, slots: choice.slots, gpuEquivalent: choice.gpuEquivalent, usage };
}
