// The allocator wired for the gate: the same reservations, quotas and broker as `ds01 create`,
// seeing every container on dockerd's own socket (never a scoped view) with gate-record identity.
import { join } from "node:path";
import { requestSlots, releaseRequest, confirmReservation, observeForAllocation, type AllocatorDeps } from "../allocation/allocator.js";
import { holdersText } from "../allocation/holders-text.js";
import { BUSY_CODES } from "../allocation/quota.js";
import { brokerClient } from "../allocation/broker/client.js";
import { BROKER_SOCKET_FILE } from "../allocation/broker/protocol.js";
import type { ReservationStore } from "../allocation/reservation-store.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { resolvePolicy } from "../config/resolve-policy.js";
import { DockerRuntime } from "../docker/docker-runtime.js";
import { identify, type IdentityOptions } from "../docker/identity.js";
import { NvidiaSmiProbe } from "../gpu/nvidia-smi-probe.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { ObservedContainer } from "../model/container.js";
import type { GpuInventory } from "../model/gpu.js";
import type { NextStep } from "../allocation/holders-text.js";
import type { Clock } from "../util/clock.js";
import { TransientError } from "../errors.js";
import type { GateGpus, GpuWant } from "./decide.js";
import type { AllocationRequest } from "../allocation/request.js";

export interface GateAllocatorInputs {
  config: LoadedConfig;
  engineSocket: string;
  stateDir: string;
  reservations: ReservationStore;
  identity: IdentityOptions;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  appendEvent: (e: AuditEvent) => void;
  /** The planner's next step for a container (from the store's records), for refusals after a wait. */
  nextStep?: (now: number, all: ObservedContainer[], gpus: GpuInventory) => (c: ObservedContainer) => NextStep | null;
}

export function gateGpus(i: GateAllocatorInputs): GateGpus {
  const runtime = new DockerRuntime({ dockerHost: `unix://${i.engineSocket}` });
  const probe = new NvidiaSmiProbe({ path: i.config.gpu.nvidia_smi, env: i.env, timeoutMs: i.config.gpu.probe_timeout_s * 1000 });
  const policy = (user: string) => resolvePolicy(i.config, user, i.clock.now());
  // Concurrent creates share one nvidia-smi reading (fresh for 2 s): the GPUs and their MIG layout,
  // not who holds them (that comes from the listing and the reservations, read per request).
  let inventory: { at: number; value: ReturnType<typeof probe.inventory> } | null = null;
  const sharedInventory = () => {
    if (!inventory || i.clock.now() - inventory.at > 2000) {
      const value = probe.inventory();
      inventory = { at: i.clock.now(), value };
      value.catch(() => (inventory = null));
    }
    return inventory.value;
  };
  const deps: AllocatorDeps = {
    reservations: i.reservations,
    clock: i.clock,
    listContainers: async () => (await runtime.list()).map((info) => ({ ...info, identity: identify(info, i.identity) })),
    inventory: sharedInventory,
    limitsFor: (user) => policy(user).limits,
    appendEvent: i.appendEvent,
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
    capFor: (user) => policy(user).limits.max_gpu_slots_per_container,
    async reserve(user, container, want) {
      try {
        const r = await requestSlots(deps, requestOf(user, container, want));
        return r.ok ? { ok: true, requestId: r.allocation.requestId, slots: r.allocation.slots } : { ok: false, reason: r.rejection.message, busy: BUSY_CODES.has(r.rejection.code) };
      } catch (e) {
        if (e instanceof TransientError) return { ok: false, unavailable: true, reason: `GPUs cannot be allocated right now (${e.message}); nothing was created, try again in a moment` };
        throw e;
      }
    },
    confirm: (requestId, containerId) => confirmReservation(deps, requestId, containerId),
    release: (requestId) => void releaseRequest(deps, requestId),
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
