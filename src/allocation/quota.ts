// Quota layers (pure). null always means "no limit". Every refusal says exactly why.
import type { ResolvedLimits } from "../model/policy.js";
import type { UserUsage } from "./holdings.js";
import { atLeast, formatEq } from "./numbers.js";
import type { AllocationRequest } from "./request.js";

export const REJECT_CODES = [
  "invalid_request",
  "per_container_cap",
  "full_gpu_not_allowed",
  "max_containers",
  "quota_exhausted",
  "quota_would_exceed",
  "no_free_slot",
  "not_enough_free_slots",
  "never_fits",
  "not_owner",
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

/** Refusals that only say "not now": the request fits its quota and the host, but the slots are taken. */
export const BUSY_CODES: ReadonlySet<RejectCode> = new Set(["no_free_slot", "not_enough_free_slots"]);

export interface Rejection {
  code: RejectCode;
  message: string;
}

/** The user's GPU-equivalent ceiling: the tighter of max_gpu_equivalents and aggregate gpu_limit. */
export interface EquivalentCeiling {
  limit: number;
  key: "max_gpu_equivalents" | "gpu_limit";
}

export function equivalentCeiling(limits: Pick<ResolvedLimits, "max_gpu_equivalents" | "gpu_limit">): EquivalentCeiling | null {
  const a = limits.max_gpu_equivalents;
  const b = limits.gpu_limit;
  if (a === null && b === null) return null;
  if (b === null || (a !== null && a <= b)) return { limit: a!, key: "max_gpu_equivalents" };
  return { limit: b, key: "gpu_limit" };
}

function list(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.join(", ");
}

export function heldText(usage: UserUsage, ceiling: EquivalentCeiling): string {
  return (
    `${usage.user} holds ${formatEq(usage.equivalents)} of ${formatEq(ceiling.limit)} GPU-equivalents (${ceiling.key}): ` +
    `containers ${list(usage.gpuContainers)}`
  );
}

export type QuotaLimits = Pick<
  ResolvedLimits,
  "max_gpu_equivalents" | "gpu_limit" | "max_gpu_slots_per_container" | "allow_full_gpu" | "max_containers_per_user"
>;

/**
 * Checks that do not depend on which slots are chosen. `newContainer`: the request is for a
 * container the user does not have yet (it will count against max_containers_per_user).
 */
export function precheck(
  req: AllocationRequest,
  usage: UserUsage,
  limits: QuotaLimits,
  newContainer: boolean,
  /** Slots the named container already holds (an existing container getting more). */
  alreadyInContainer = 0,
): Rejection | null {
  if (!Number.isInteger(req.count) || req.count < 0) {
    return { code: "invalid_request", message: `the number of GPU slots must be a whole number, not ${req.count}` };
  }
  const cap = limits.max_gpu_slots_per_container;
  if (cap !== null && alreadyInContainer > 0 && alreadyInContainer + req.count > cap) {
    return {
      code: "per_container_cap",
      message: `${req.user} asked for ${req.count} more GPU slot${req.count === 1 ? "" : "s"} for ${req.container}, which holds ${alreadyInContainer}; the limit is ${cap} (max_gpu_slots_per_container)`,
    };
  }
  if (cap !== null && req.count > cap) {
    return {
      code: "per_container_cap",
      message: `${req.user} asked for ${req.count} GPU slots in one container; the limit is ${cap} (max_gpu_slots_per_container)`,
    };
  }
  if (req.preferFull && req.profile === null && !limits.allow_full_gpu) {
    return { code: "full_gpu_not_allowed", message: `${req.user} may not use a full GPU (allow_full_gpu: false); ask for MIG devices instead` };
  }
  const maxC = limits.max_containers_per_user;
  if (newContainer && maxC !== null && usage.containers.length >= maxC) {
    return {
      code: "max_containers",
      message: `${req.user} has ${usage.containers.length} of ${maxC} containers (max_containers_per_user): ${list(usage.containers)}`,
    };
  }
  const ceiling = equivalentCeiling(limits);
  if (req.count > 0 && ceiling && atLeast(usage.equivalents, ceiling.limit)) {
    return { code: "quota_exhausted", message: heldText(usage, ceiling) };
  }
  return null;
}
