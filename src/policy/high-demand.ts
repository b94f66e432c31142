// High-demand mode: allocated GPU-equivalents / total GPU-equivalents (the original's rule, fixed:
// every holder counts, MIG devices weigh their profile, unusable GPUs are not capacity).
import type { ObservedContainer } from "../model/container.js";
import type { GpuInventory } from "../model/gpu.js";

export function slotWeights(inv: GpuInventory): Map<string, number> {
  const w = new Map<string, number>();
  for (const g of inv.gpus) {
    if (!g.usable) continue;
    if (g.migEnabled) for (const m of g.migDevices) {
      if (m.gpuEquivalent !== null) w.set(m.uuid, m.gpuEquivalent);
    }
    else w.set(g.uuid, 1);
  }
  return w;
}

/**
 * High demand: the allocated share is at or above the threshold, or someone waits in the gate's GPU
 * queue (a queue means demand beyond what is free, whatever the share). Threshold null = mode off.
 */
export function isHighDemand(ratio: number | null, threshold: number | null, queueWaiting: number): boolean {
  if (threshold === null) return false;
  return queueWaiting > 0 || (ratio !== null && ratio >= threshold);
}

/** null when there is no capacity to speak of (no GPU, or the probe failed). */
export function highDemandRatio(inv: GpuInventory, containers: readonly ObservedContainer[]): number | null {
  if (inv.error) return null;
  const weights = slotWeights(inv);
  let total = 0;
  for (const v of weights.values()) total += v;
  if (total <= 0) return null;
  const held = new Set<string>();
  for (const c of containers) for (const g of c.identity.gpus) if (weights.has(g)) held.add(g);
  let allocated = 0;
  for (const g of held) allocated += weights.get(g) ?? 0;
  return allocated / total;
}
