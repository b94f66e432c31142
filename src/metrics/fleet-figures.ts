// The numbers behind the daemon's gauges (pure): GPU capacity and allocation in GPU-equivalents,
// containers by state/type/owner, idle time per GPU container, utilisation per GPU, high demand.
//
// A slot is allocated while a live container (not exited, dead or removing) references it, or for
// a MIG device, its parent GPU: a container that exits frees its GPU at once. High demand is the
// planner's own figure (highDemandRatio over containers in any state), so the gauge says what
// enforcement uses.
import { slotTable, type SlotKind } from "../allocation/slots.js";
import type { ObservedContainer } from "../model/container.js";
import type { GpuInventory } from "../model/gpu.js";
import type { ContainerRecord } from "../model/record.js";
import { highDemandRatio, isHighDemand } from "../policy/high-demand.js";
import { holdsGpu } from "../daemon/fleet.js";
import { notStopped } from "../model/container.js";

export interface FleetFigureInput {
  /** The last inventory the probe answered; null = never (GPU figures are then left out). */
  inventory: GpuInventory | null;
  /** Latest cheap sample: utilisation per GPU UUID (null = unknown). */
  utilisation: ReadonlyMap<string, number | null>;
  containers: readonly ObservedContainer[];
  records: ReadonlyMap<string, ContainerRecord>;
  now: number;
  /** Global `policies.high_demand_threshold`; null = high demand mode off. */
  highDemandThreshold: number | null;
  /** GPU creates waiting in the gate's queue (they make demand high). */
  gpuQueueWaiting?: number;
}

export interface SlotFigure {
  gpuUuid: string;
  slotUuid: string;
  /** MIG profile, or "full". */
  profile: string;
  kind: SlotKind;
  weight: number | null;
  /** GPU-equivalents held (0 when free); null when the weight is unknown. */
  held: number | null;
}

export interface FleetFigures {
  gpuKnown: boolean;
  slots: SlotFigure[];
  slotsByKind: Record<SlotKind, number>;
  equivalentsTotal: number;
  equivalentsAllocated: number;
  /** Owner → GPU-equivalents held by their live containers. */
  users: Map<string, number>;
  containers: { state: string; type: string; owner: string; count: number }[];
  idle: { container: string; owner: string; idleSeconds: number; streak: number }[];
  utilisation: { gpuUuid: string; index: string; pct: number }[];
  /** 1 or 0; null when unknown (no capacity, or no inventory). */
  highDemand: number | null;
}

const round = (n: number) => Math.round(n * 1e9) / 1e9;

export function fleetFigures(input: FleetFigureInput): FleetFigures {
  const inv = input.inventory;
  const table = inv && !inv.error ? slotTable(inv.gpus) : { slots: [], unusableGpus: [] };
  const live = input.containers.filter((c) => notStopped(c.state));
  const referenced = new Set<string>();
  for (const c of live) for (const g of c.identity.gpus) referenced.add(g);

  const slots: SlotFigure[] = table.slots.map((s) => {
    const taken = referenced.has(s.uuid) || (s.kind === "mig" && referenced.has(s.gpuUuid));
    return { gpuUuid: s.gpuUuid, slotUuid: s.uuid, profile: s.profile ?? (s.kind === "full" ? "full" : "unknown"), kind: s.kind, weight: s.weight, held: s.weight === null ? null : taken ? s.weight : 0 };
  });
  const weightByUuid = new Map(table.slots.map((s) => [s.uuid, s.weight]));
  const slotsByKind: Record<SlotKind, number> = { full: 0, mig: 0 };
  for (const s of slots) slotsByKind[s.kind]++;

  const users = new Map<string, number>();
  const userUuids = new Map<string, Set<string>>();
  for (const c of live) {
    if (!holdsGpu(c)) continue;
    let set = userUuids.get(c.identity.owner);
    if (!set) userUuids.set(c.identity.owner, (set = new Set()));
    for (const g of c.identity.gpus) set.add(g);
  }
  for (const [user, uuids] of userUuids) {
    // Like the allocator's quota: a UUID ds01 has no weight for counts as a whole GPU, never as 0.
    users.set(user, round([...uuids].reduce((a, u) => a + (weightByUuid.get(u) ?? 1), 0)));
  }

  const byKey = new Map<string, { state: string; type: string; owner: string; count: number }>();
  for (const c of input.containers) {
    const key = `${c.state}\u0000${c.identity.type}\u0000${c.identity.owner}`;
    const e = byKey.get(key);
    if (e) e.count++;
    else byKey.set(key, { state: c.state, type: c.identity.type, owner: c.identity.owner, count: 1 });
  }

  const idle = input.containers
    .filter((c) => c.state === "running" && holdsGpu(c))
    .map((c) => {
      const r = input.records.get(c.id);
      const streak = r?.idleStreak ?? 0;
      const idleSeconds = r && streak > 0 && r.idleSince !== null ? Math.max(0, (input.now - r.idleSince) / 1000) : 0;
      return { container: c.name, owner: c.identity.owner, idleSeconds, streak };
    });

  const indexOf = new Map((inv?.gpus ?? []).map((g) => [g.uuid, String(g.index)]));
  const utilisation: FleetFigures["utilisation"] = [];
  for (const [uuid, pct] of input.utilisation) if (pct !== null) utilisation.push({ gpuUuid: uuid, index: indexOf.get(uuid) ?? "", pct });

  let highDemand: number | null = null;
  if (inv && !inv.error) {
    const ratio = highDemandRatio(inv, input.containers);
    const waiting = input.gpuQueueWaiting ?? 0;
    if (ratio !== null || waiting > 0 || input.highDemandThreshold === null) highDemand = isHighDemand(ratio, input.highDemandThreshold, waiting) ? 1 : 0;
  }

  const known = slots.filter((s) => s.weight !== null);
  return {
    gpuKnown: inv !== null && !inv.error,
    slots,
    slotsByKind,
    equivalentsTotal: round(known.reduce((a, s) => a + (s.weight ?? 0), 0)),
    equivalentsAllocated: round(known.reduce((a, s) => a + (s.held ?? 0), 0)),
    users,
    containers: [...byKey.values()],
    idle,
    utilisation,
    highDemand,
  };
}
