// Allocatable GPU slots from the GPU inventory: every usable full GPU and every MIG device.
import type { Gpu } from "../model/gpu.js";

export const SLOT_KINDS = ["full", "mig"] as const;
export type SlotKind = (typeof SLOT_KINDS)[number];

export interface Slot {
  /** What goes into the DeviceRequest: `GPU-…` for a full GPU, `MIG-…` for a MIG device. */
  uuid: string;
  kind: SlotKind;
  /** Display id as the original prints it: "2" for a full GPU, "2.1" for its MIG device 1. */
  id: string;
  gpuIndex: number;
  gpuUuid: string;
  migIndex: number | null;
  profile: string | null;
  /** GPU-equivalents: 1.0 for a full GPU, the profile's share for a MIG device; null = unknown. */
  weight: number | null;
  /** False when ds01 must not hand it out (see `unavailableReason`). */
  allocatable: boolean;
  unavailableReason: string | null;
}

export interface UnusableGpu {
  index: number;
  uuid: string;
  reason: string;
}

export interface SlotTable {
  slots: Slot[];
  unusableGpus: UnusableGpu[];
}

function migSlot(gpu: Gpu, dev: Gpu["migDevices"][number], position: number): Slot {
  const weight = dev.gpuEquivalent !== null && dev.gpuEquivalent > 0 ? dev.gpuEquivalent : null;
  const migIndex = dev.deviceIndex ?? null;
  return {
    uuid: dev.uuid,
    kind: "mig",
    id: `${gpu.index}.${migIndex ?? `?${position}`}`,
    gpuIndex: gpu.index,
    gpuUuid: gpu.uuid,
    migIndex,
    profile: dev.profile,
    weight,
    allocatable: weight !== null,
    // A MIG device whose share is unknown would weigh 0 in every quota (the original's bug 9.2 #13),
    // letting one user take any number of them; it is shown but never handed out.
    unavailableReason: weight === null ? `GPU-equivalent unknown for MIG profile ${dev.profile ?? "(none reported)"}` : null,
  };
}

/**
 * A GPU in MIG mode contributes only its MIG devices (none = unusable); any other usable GPU is one
 * full slot weighing 1.0. Sorted by GPU index, then MIG device index (numeric, so 10 after 2).
 */
export function slotTable(gpus: readonly Gpu[]): SlotTable {
  const slots: Slot[] = [];
  const unusableGpus: UnusableGpu[] = [];
  for (const gpu of [...gpus].sort((a, b) => a.index - b.index)) {
    const inMigMode = gpu.migEnabled === true || gpu.migDevices.length > 0;
    if (inMigMode) {
      if (gpu.migDevices.length === 0) {
        unusableGpus.push({ index: gpu.index, uuid: gpu.uuid, reason: "MIG mode is on but no MIG device exists" });
        continue;
      }
      gpu.migDevices.forEach((d, i) => slots.push(migSlot(gpu, d, i)));
      continue;
    }
    if (!gpu.usable) {
      unusableGpus.push({ index: gpu.index, uuid: gpu.uuid, reason: "the GPU probe marks it unusable" });
      continue;
    }
    slots.push({
      uuid: gpu.uuid,
      kind: "full",
      id: String(gpu.index),
      gpuIndex: gpu.index,
      gpuUuid: gpu.uuid,
      migIndex: null,
      profile: null,
      weight: 1,
      allocatable: true,
      unavailableReason: null,
    });
  }
  slots.sort(compareSlots);
  return { slots, unusableGpus };
}

/** Deterministic order: GPU index, then MIG device index (numeric; unknown last), then UUID. */
export function compareSlots(a: Slot, b: Slot): number {
  if (a.gpuIndex !== b.gpuIndex) return a.gpuIndex - b.gpuIndex;
  const ai = a.migIndex ?? Number.MAX_SAFE_INTEGER;
  const bi = b.migIndex ?? Number.MAX_SAFE_INTEGER;
  if (ai !== bi) return ai - bi;
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}
