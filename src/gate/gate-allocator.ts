// The allocator wired for the gate: the same reservations, quotas and broker as `ds01 create`,
// seeing every container on dockerd's own socket (never a scoped view) with gate-record identity.
import { join } from "node:path";
import { requestSlots, observeForAllocation, reservationSteps, type AllocatorDeps } from "../allocation/allocator.js";
import { holdersText } from "../allocation/holders-text.js";
import { BUSY_CODES } from "../allocation/quota.js";
import { brokerClient } from "../allocation/broker/client.js";
import { BROKER_SOCKET_FILE } from "../allocation/broker/socket-file.js";
import type { ReservationStore } from "../allocation/reservation-store.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { cachedPolicy } from "../config/policy-cache.js";
import type { IdentityOptions } from "../docker/identity.js";
import { listObserved } from "../docker/list-observed.js";
import type { ContainerRuntime, GpuProbe } from "../model/ports.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { ObservedContainer } from "../model/container.js";
import type { GpuInventory } from "../model/gpu.js";
import { slotTable } from "../allocation/slots.js";
import type { ContainerView } from "./container-view.js";
import type { NextStep } from "../allocation/holders-text.js";
import type { Clock } from "../util/clock.js";
import { TransientError } from "../errors.js";
import type { GateGpus, GpuWant } from "./decide.js";
import type { AllocationRequest } from "../allocation/request.js";

export interface GateAllocatorInputs {
  config: LoadedConfig;
  /** The engine, as the composition root built it (the gate's engine socket). */
  runtime: Pick<ContainerRuntime, "list">;
  /** The GPU probe, as the composition root built it from this config. */
  probe: GpuProbe;
  stateDir: string;
  reservations: ReservationStore;
  identity: IdentityOptions;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  appendEvent: (e: AuditEvent) => void;
  /** The planner's next step for a container (from the store's records), for refusals after a wait. */
  nextStep?: (now: number, all: ObservedContainer[], gpus: GpuInventory) => (c: ObservedContainer) => NextStep | null;
  /** The gate's event-fed picture of the containers (absent or not current: list per request). */
  view?: ContainerView;
}

/**
 * How old the shared reading may be before a create starts reading it again in the background, and
 * how old it may be used at all. The layout changes only by an admin's hand (SIGHUP makes the gate
 * read it again at once); reading it every few seconds cost creates around each read their tail
 * (`nvidia-smi -q -x` takes a core for a while).
 */
export const INVENTORY_FRESH_MS = 60_000;
export const INVENTORY_MAX_AGE_MS = 120_000;

export function gateGpus(i: GateAllocatorInputs): GateGpus {
  const { runtime, probe } = i;
  const policy = (user: string) => cachedPolicy(i.config, user, i.clock.now());
  // Creates share one nvidia-smi reading: the GPUs and their MIG layout, not who holds them (that
  // comes from the containers and the reservations, read per request). Older than 60 s, it is read
  // again in the background while requests go on with the last good reading, up to 120 s old, so
  // no create waits for the probe (which can take longer than the create itself, and on a busy
  // host costs every request around it: `nvidia-smi -q -x` is not cheap). The layout only
  // changes by an admin's hand; a slot that vanished in between fails the container's start, and
  // can never be handed out twice (reservations are keyed by slot).
  let current: { at: number; value: GpuInventory } | null = null;
  let pending: Promise<GpuInventory> | null = null;
  const read = (): Promise<GpuInventory> => {
    pending ??= probe.inventory().then((value) => {
      if (value.error === null) current = { at: i.clock.now(), value };
      return value;
    }).finally(() => (pending = null));
    return pending;
  };
  const sharedInventory = async (): Promise<GpuInventory> => {
    const age = current ? i.clock.now() - current.at : Infinity;
    if (age <= INVENTORY_FRESH_MS) return current!.value;
    if (age <= INVENTORY_MAX_AGE_MS) {
      void read().catch(() => undefined);
      return current!.value;
    }
    return read();
  };
  const deps: AllocatorDeps = {
    reservations: i.reservations,
    clock: i.clock,
    listContainers: () => listObserved(runtime, i.identity),
    inventory: sharedInventory,
    limitsFor: (user) => policy(user).limits,
    appendEvent: i.appendEvent,
    observe: async () => {
      if (!i.view) return null;
      const inv = await sharedInventory();
      return inv.error === null ? i.view.observation(slotTable(inv.gpus).slots) : null;
    },
    ...(i.env.DS01_ALLOCATION_BROKER === "off" ? {} : { broker: brokerClient(join(i.stateDir, BROKER_SOCKET_FILE)) }),
  };
  // Full GPUs first for those who may have them; MIG devices otherwise (never a refusal for the order).
  const requestOf = (user: string, container: string, want: GpuWant): AllocationRequest => ({
    user,
    container,
    count: want.count,
    profile: null,
    preferFull: !want.pinned && policy(user).limits.allow_full_gpu,
    ...(want.pinned ? { pinned: want.pinned } : {}),
  });
  return {
    rereadGpus: () => void (current = null),
    capFor: (user) => policy(user).limits.max_gpu_slots_per_container,
    async reserve(user, container, want) {
      // A grant's events are handed back, to be recorded with the create (one commit for both); a
      // refusal's are recorded now, before the refusal leaves.
      const events: AuditEvent[] = [];
      try {
        const r = await requestSlots({ ...deps, appendEvent: (e) => events.push(e) }, requestOf(user, container, want));
        if (r.ok) return { ok: true, requestId: r.allocation.requestId, slots: r.allocation.slots, events };
        events.forEach(i.appendEvent);
        return { ok: false, reason: r.rejection.message, busy: BUSY_CODES.has(r.rejection.code) };
      } catch (e) {
        if (e instanceof TransientError) return { ok: false, unavailable: true, reason: `GPUs cannot be allocated right now (${e.message}); nothing was created, try again in a moment` };
        throw e;
      }
    },
    // Waiting for the lock between timers: the gate goes on serving while another process holds it.
    confirm: (requestId, containerId) => i.reservations.lockedAsync(reservationSteps.confirm(deps, requestId, containerId)),
    release: async (requestId) => void (await i.reservations.lockedAsync(reservationSteps.release(deps, requestId))),
    removed: async (containerId) => void (await i.reservations.lockedAsync(reservationSteps.removed(deps, containerId))),
    async holders(user, container, want) {
      const obs = await observeForAllocation(deps, true);
      const now = i.clock.now();
      const next = i.nextStep?.(now, obs.containers, await sharedInventory());
      return holdersText({
        ...obs,
        reservations: i.reservations.all(),
        now,
        request: requestOf(user, container, want),
        allowFullGpu: policy(user).limits.allow_full_gpu,
        ...(next ? { next } : {}),
      });
    },
  };
}
