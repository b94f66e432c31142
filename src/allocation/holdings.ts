// Who holds which slot: containers in any state (Docker is the source of truth) plus reservations.
import type { ContainerState, ObservedContainer } from "../model/container.js";
import { type Reservation, isContainerOnly, reservationCounts } from "./reservation.js";
import type { Slot } from "./slots.js";
import { sumWeights } from "./numbers.js";

export interface Holder {
  user: string;
  container: string;
  containerId: string | null;
  source: "container" | "reservation";
  /** Container state, or null for a reservation. */
  state: ContainerState | null;
}

export interface UserUsage {
  user: string;
  /** Distinct UUIDs held (slots and any UUID ds01 does not know). */
  uuids: string[];
  equivalents: number;
  /** Containers (and reserved container names) holding GPUs, sorted. */
  gpuContainers: string[];
  /** Every container of the user, any state, plus reserved names not yet created, sorted. */
  containers: string[];
}

export interface Holdings {
  /** UUID → who references it (more than one = a conflict made outside ds01). */
  byUuid: Map<string, Holder[]>;
  /** Slot UUIDs that are taken (directly, or through their parent GPU). */
  taken: Set<string>;
  /** GPU UUID → GPU-equivalents taken on it. */
  loadByGpu: Map<string, number>;
  users: Map<string, UserUsage>;
}

export interface HoldingsInput {
  slots: readonly Slot[];
  containers: readonly ObservedContainer[];
  reservations: readonly Reservation[];
  now: number;
  /** When the Docker listing in `containers` started (epoch ms). */
  listedAt: number;
}

/**
 * Weight charged for a UUID: its slot's weight; 1.0 for a whole GPU (also one in MIG mode, whose
 * every device it then blocks) and for a UUID ds01 does not know or whose weight is unknown.
 * Unknown is charged as a full GPU, never as 0.
 */
export function weightOf(uuid: string, slotsByUuid: ReadonlyMap<string, Slot>): number {
  return slotsByUuid.get(uuid)?.weight ?? 1;
}

export function computeHoldings(input: HoldingsInput): Holdings {
  const slotsByUuid = new Map(input.slots.map((s) => [s.uuid, s]));
  const byUuid = new Map<string, Holder[]>();
  const userUuids = new Map<string, Set<string>>();
  const userGpuContainers = new Map<string, Set<string>>();
  const userContainers = new Map<string, Set<string>>();
  const add = (m: Map<string, Set<string>>, k: string, v: string) => {
    let s = m.get(k);
    if (!s) m.set(k, (s = new Set()));
    s.add(v);
  };
  const hold = (uuid: string, h: Holder) => {
    let list = byUuid.get(uuid);
    if (!list) byUuid.set(uuid, (list = []));
    if (!list.some((x) => x.user === h.user && x.container === h.container)) list.push(h);
    add(userUuids, h.user, uuid);
    add(userGpuContainers, h.user, h.container);
  };

  const listedIds = new Set(input.containers.map((c) => c.id));
  for (const c of input.containers) {
    const user = c.identity.owner;
    add(userContainers, user, c.name);
    for (const uuid of new Set(c.identity.gpus)) hold(uuid, { user, container: c.name, containerId: c.id, source: "container", state: c.state });
  }
  const listedNames = new Set(input.containers.map((c) => c.name));
  for (const r of input.reservations) {
    if (!reservationCounts(r, input.now, input.listedAt, listedIds)) continue;
    if (isContainerOnly(r)) {
      if (!listedNames.has(r.container)) add(userContainers, r.user, r.container);
      continue;
    }
    hold(r.slotUuid, { user: r.user, container: r.container, containerId: r.containerId, source: "reservation", state: null });
    if (!listedNames.has(r.container)) add(userContainers, r.user, r.container);
  }

  // A slot is taken when it, or its parent GPU, is referenced.
  const taken = new Set<string>();
  const loadByGpu = new Map<string, number>();
  for (const s of input.slots) {
    if (byUuid.has(s.uuid) || (s.kind === "mig" && byUuid.has(s.gpuUuid))) {
      taken.add(s.uuid);
      loadByGpu.set(s.gpuUuid, sumWeights([loadByGpu.get(s.gpuUuid) ?? 0, s.weight ?? 1]));
    }
  }

  const users = new Map<string, UserUsage>();
  const names = new Set([...userUuids.keys(), ...userContainers.keys()]);
  for (const user of names) {
    const uuids = [...(userUuids.get(user) ?? [])].sort();
    users.set(user, {
      user,
      uuids,
      equivalents: sumWeights(uuids.map((u) => weightOf(u, slotsByUuid))),
      gpuContainers: [...(userGpuContainers.get(user) ?? [])].sort(),
      containers: [...(userContainers.get(user) ?? [])].sort(),
    });
  }
  return { byUuid, taken, loadByGpu, users };
}

export function emptyUsage(user: string): UserUsage {
  return { user, uuids: [], equivalents: 0, gpuContainers: [], containers: [] };
}
