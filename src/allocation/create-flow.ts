// `ds01 create`: reserve (under the allocation lock) → create the container with the slots in its
// labels and DeviceRequest → confirm the reservation → start. A failed creation releases the
// reservation; a reservation lost before confirmation removes the container again.
import { EVENT } from "../constants/event-types.js";
import { RefusedError, TransientError, errorText } from "../errors.js";
import { admitCgroupParent, capsFor, type CgroupAdmission } from "../cgroups/admission.js";
import type { JsonObject } from "../docker/json-fields.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { ResolvedLimits } from "../model/policy.js";
import type { ContainerCreator } from "../docker/create-container.js";
import { AllocationRefusedError, confirmReservation, releaseRequest, requestSlots, type Allocation, type AllocatorDeps } from "./allocator.js";
import { buildContainerSpec, containerName } from "./container-spec.js";

export interface CreateDeps extends AllocatorDeps {
  creator: ContainerCreator;
  /** The user's full resolved limits (CPU, memory, shm, pids as well as the quota keys). */
  resourceLimitsFor(user: string): ResolvedLimits;
  /** CPUs this host has: Docker refuses a larger max_cpus, so it is capped at this. */
  hostCpus?: number;
  /** Per-user aggregate limits (the owner's cgroup parent). Absent: none set here (a non-root caller's gate sets them). */
  cgroups?: CgroupAdmission;
}

export interface CreateInput {
  user: string;
  name: string;
  image: string;
  cmd: readonly string[];
  /** GPU slots wanted (0 = none). */
  count: number;
  profile: string | null;
  preferFull: boolean;
  start: boolean;
  extraLabels?: Readonly<Record<string, string>>;
}

export interface Created {
  id: string;
  name: string;
  started: boolean;
  allocation: Allocation;
  /** What was adjusted on the way (e.g. max_cpus capped at the host's CPUs). */
  notes: string[];
}

/** max_cpus above the host's CPU count would make Docker refuse the container: use the host's. */
export function capToHost(limits: ResolvedLimits, hostCpus: number | undefined): { limits: ResolvedLimits; notes: string[] } {
  if (hostCpus === undefined || limits.max_cpus === null || limits.max_cpus <= hostCpus) return { limits, notes: [] };
  return { limits: { ...limits, max_cpus: hostCpus }, notes: [`max_cpus ${limits.max_cpus} is more than this host's ${hostCpus} CPUs; the container gets ${hostCpus}`] };
}

function audit(deps: CreateDeps, type: AuditEvent["type"], user: string, container: string, containerId: string | null, details: Record<string, unknown>): void {
  deps.appendEvent?.({ time: deps.clock.now(), type, user, container, containerId, details });
}

export async function createForUser(deps: CreateDeps, input: CreateInput): Promise<Created> {
  const fullName = containerName(input.name, input.user);
  const { limits, notes } = capToHost(deps.resourceLimitsFor(input.user), deps.hostCpus);
  const caps = capsFor(deps.cgroups, input.user);
  if (!caps.ok) throw new RefusedError(caps.reason);
  const reserved = await requestSlots(deps, { user: input.user, container: fullName, count: input.count, profile: input.profile, preferFull: input.preferFull }, [input.name]);
  if (!reserved.ok) throw new AllocationRefusedError(reserved.rejection);
  const allocation = reserved.allocation;
  const now = deps.clock.now();
  let id: string;
  let cgroupParent: string | null = null;
  try {
    const spec = buildContainerSpec({
      user: input.user,
      name: input.name,
      image: input.image,
      cmd: input.cmd,
      limits,
      aggregateCpus: caps.caps?.cpuCores ?? null,
      slots: allocation.slots,
      allocatedAt: now,
      createdAt: now,
      extraLabels: input.extraLabels,
    });
    const parent = await admitCgroupParent(spec.body.HostConfig as JsonObject, input.user, deps.cgroups);
    if (!parent.ok) throw new RefusedError(parent.reason);
    cgroupParent = parent.parent;
    id = await deps.creator.create(spec.name, spec.body);
  } catch (e) {
    releaseRequest(deps, allocation.requestId);
    audit(deps, EVENT.actionFailed, input.user, fullName, null, { action: "container.create", error: errorText(e), released_uuids: allocation.uuids });
    throw e;
  }
  if (!confirmReservation(deps, allocation.requestId, id)) {
    await deps.creator.remove(id).catch(() => undefined);
    throw new TransientError(`the GPU reservation for ${fullName} expired before the container was created; it was removed again, try again`, "allocation");
  }
  audit(deps, EVENT.containerCreate, input.user, fullName, id, {
    image: input.image,
    uuids: allocation.uuids,
    slots: allocation.slots.map((s) => s.id),
    gpu_equivalent: allocation.gpuEquivalent,
    limits: { max_cpus: limits.max_cpus, memory: limits.memory, memory_swap: limits.memory_swap, shm_size: limits.shm_size, pids_limit: limits.pids_limit },
    cgroup_parent: cgroupParent,
  });
  if (input.start) {
    try {
      await deps.creator.start(id);
    } catch (e) {
      throw new TransientError(`created ${fullName} (${id.slice(0, 12)}) but could not start it: ${errorText(e)}`, "docker", { cause: e });
    }
  }
  return { id, name: fullName, started: input.start, allocation, notes };
}
