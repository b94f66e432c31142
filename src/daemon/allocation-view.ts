// The allocation broker's view of Docker when the janitor is scoped (DS01_SCOPE_LABEL): the
// daemon's fleet then holds only the containers in scope, but a GPU held by any container is held,
// so the broker decides from a fresh listing of every container, made for each batch, with the
// GPU inventory of the daemon's last pass. Slower than the event-fed fleet, and only ever used
// where a scope is set (staged rollouts, tests on a shared engine).
import type { Observation } from "../allocation/allocator.js";
import { slotTable } from "../allocation/slots.js";
import { errorText } from "../errors.js";
import type { GpuInventory } from "../model/gpu.js";
import type { ObservedContainer } from "../model/container.js";

export interface ListedViewInput {
  inventory: GpuInventory | null;
  gpuError: string | null;
  /** Every container on the engine, identified. */
  listAll(): Promise<ObservedContainer[]>;
  now(): number;
}

export async function listedAllocationView(i: ListedViewInput): Promise<Observation | { unavailable: string }> {
  if (i.inventory === null) return { unavailable: "the daemon has no GPU inventory" };
  if (i.gpuError !== null) return { unavailable: `the daemon's GPU probe is failing: ${i.gpuError}` };
  const slots = slotTable(i.inventory.gpus).slots;
  const listedAt = i.now();
  let containers: ObservedContainer[];
  try {
    containers = await i.listAll();
  } catch (e) {
    return { unavailable: `the daemon could not list every container: ${errorText(e)}` };
  }
  return { slots, containers, listedAt, currentAt: listedAt, source: "daemon" };
}
