// `ds01 gpu status` (pure): every slot with its holders, every user with what they hold and may hold.
import type { Holdings } from "./holdings.js";
import { sumWeights } from "./numbers.js";
import { equivalentCeiling, type QuotaLimits } from "./quota.js";
import type { Slot, UnusableGpu } from "./slots.js";

export interface SlotStatus {
  id: string;
  uuid: string;
  kind: Slot["kind"];
  gpu_index: number;
  gpu_uuid: string;
  profile: string | null;
  weight: number | null;
  allocatable: boolean;
  unavailable_reason: string | null;
  /** "free", "held", "reserved", or "conflict" when more than one container references it. */
  status: "free" | "held" | "reserved" | "conflict";
  holders: { user: string; container: string; container_id: string | null; source: "container" | "reservation"; state: string | null }[];
}

export interface UserStatus {
  user: string;
  held_gpu_equivalents: number;
  limit_gpu_equivalents: number | null;
  limit_key: "max_gpu_equivalents" | "gpu_limit" | null;
  uuids: string[];
  gpu_containers: string[];
  containers: number;
  max_containers: number | null;
}

export interface AllocationStatus {
  slots_total: number;
  slots_free: number;
  gpu_equivalents_total: number;
  gpu_equivalents_allocated: number;
  slots: SlotStatus[];
  unusable_gpus: UnusableGpu[];
  /** UUIDs held by containers that match no slot of this host (a GPU gone, a MIG repartition). */
  unknown_uuids: { uuid: string; holders: SlotStatus["holders"] }[];
  users: UserStatus[];
}

export function allocationStatus(input: {
  slots: readonly Slot[];
  unusableGpus: readonly UnusableGpu[];
  holdings: Holdings;
  limitsFor: (user: string) => QuotaLimits | null;
}): AllocationStatus {
  const { holdings } = input;
  const holdersOf = (uuid: string): SlotStatus["holders"] =>
    (holdings.byUuid.get(uuid) ?? []).map((h) => ({ user: h.user, container: h.container, container_id: h.containerId, source: h.source, state: h.state }));
  const slots: SlotStatus[] = input.slots.map((s) => {
    const holders = [...holdersOf(s.uuid), ...(s.kind === "mig" ? holdersOf(s.gpuUuid) : [])];
    const status: SlotStatus["status"] =
      holders.length === 0 ? "free" : holders.length > 1 ? "conflict" : holders[0]!.source === "reservation" ? "reserved" : "held";
    return {
      id: s.id,
      uuid: s.uuid,
      kind: s.kind,
      gpu_index: s.gpuIndex,
      gpu_uuid: s.gpuUuid,
      profile: s.profile,
      weight: s.weight,
      allocatable: s.allocatable,
      unavailable_reason: s.unavailableReason,
      status,
      holders,
    };
  });
  const known = new Set(input.slots.flatMap((s) => [s.uuid, s.gpuUuid]));
  const unknown_uuids = [...holdings.byUuid.keys()].filter((u) => !known.has(u)).sort().map((uuid) => ({ uuid, holders: holdersOf(uuid) }));
  const users: UserStatus[] = [...holdings.users.values()]
    .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
    .map((u) => {
      const limits = input.limitsFor(u.user);
      const ceiling = limits ? equivalentCeiling(limits) : null;
      return {
        user: u.user,
        held_gpu_equivalents: u.equivalents,
        limit_gpu_equivalents: ceiling?.limit ?? null,
        limit_key: ceiling?.key ?? null,
        uuids: u.uuids,
        gpu_containers: u.gpuContainers,
        containers: u.containers.length,
        max_containers: limits?.max_containers_per_user ?? null,
      };
    });
  const allocatable = input.slots.filter((s) => s.allocatable);
  return {
    slots_total: allocatable.length,
    slots_free: allocatable.filter((s) => !holdings.taken.has(s.uuid)).length,
    gpu_equivalents_total: sumWeights(allocatable.map((s) => s.weight!)),
    gpu_equivalents_allocated: sumWeights(allocatable.filter((s) => holdings.taken.has(s.uuid)).map((s) => s.weight!)),
    slots,
    unusable_gpus: [...input.unusableGpus],
    unknown_uuids,
    users,
  };
}
