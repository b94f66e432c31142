// The allocation service: observe (GPU inventory, Docker listing) outside the lock, then decide and
// reserve inside it. The decision itself is pure (plan.ts); this file only sequences I/O.
import { randomUUID } from "node:crypto";
import { EVENT } from "../constants/event-types.js";
import { RefusedError, TransientError } from "../errors.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { ObservedContainer } from "../model/container.js";
import type { GpuInventory } from "../model/gpu.js";
import type { Clock } from "../util/clock.js";
import { sumWeights } from "./numbers.js";
import { planAllocation } from "./plan.js";
import type { QuotaLimits, Rejection } from "./quota.js";
import type { AllocationRequest } from "./request.js";
import {
  CONTAINER_ONLY_PREFIX,
  CONFIRMED_TTL_MS,
  MAX_LISTING_AGE_MS,
  PENDING_TTL_MS,
  isContainerOnly,
  reservationCounts,
  type Reservation,
} from "./reservation.js";
import type { ReservationStore } from "./reservation-store.js";
import { slotTable, type Slot } from "./slots.js";

/** What deciding needs, inside the lock: the reservations, the time, the policy, where audit goes. */
export interface ReserveDeps {
  reservations: ReservationStore;
  clock: Clock;
  /** The user's resolved limits. */
  limitsFor(user: string): QuotaLimits;
  /** Audit events (gpu.allocate, gpu.reject, ...) go here, after the allocation lock is released. */
  appendEvent?: (e: AuditEvent) => void;
  /** How long a pending reservation lives (default PENDING_TTL_MS). */
  pendingTtlMs?: number;
}

/** What observing needs, outside the lock: a listing of Docker and the GPU inventory. */
export interface ObserveDeps {
  clock: Clock;
  /** Every container in every state, with its identity (owner, GPUs). Throws when Docker is unreachable. */
  listContainers(): Promise<ObservedContainer[]>;
  inventory(): Promise<GpuInventory>;
}

/** A caller that observes and decides itself, or asks the broker / an event-fed view first. */
export interface AllocatorDeps extends ReserveDeps, ObserveDeps {
  /**
   * The daemon's allocation broker, when one is reachable: it decides from its event-fed view of
   * Docker, many requests per lock, so callers neither list Docker nor poll the lock themselves.
   * `reserve` answers null when no broker listens; the caller then decides locally.
   */
  broker?: ReserveBroker;
  /**
   * An event-fed view of every container (the gate's), used instead of a listing when it answers;
   * null = not current now (list instead).
   */
  observe?: () => Promise<Observation | null>;
}

export interface ReserveBroker {
  reserve(request: AllocationRequest, adoptFrom: readonly string[]): Promise<Reserved | null>;
}

export interface Allocation {
  requestId: string;
  user: string;
  container: string;
  slots: Slot[];
  uuids: string[];
  gpuEquivalent: number;
  expiresAt: number;
  /** True when an earlier reservation for the same user and container was returned. */
  existing: boolean;
}

/** A refusal with its machine-readable code; the CLI exits 1 and prints the message. */
export class AllocationRefusedError extends RefusedError {
  constructor(readonly rejection: Rejection) {
    super(rejection.message);
  }
}

export interface Observation {
  slots: Slot[];
  containers: ObservedContainer[];
  /** When the full listing behind `containers` started (the reservation rule compares confirmations with it). */
  listedAt: number;
  /**
   * Up to when `containers` is known to be complete: the listing's start for a plain listing; for
   * the daemon's view, which Docker events keep current, the moment it was read.
   */
  currentAt: number;
  /** Whose view it is: a listing made by this process, or the daemon's event-fed view (broker). */
  source: "listing" | "daemon";
}

/**
 * GPU inventory and Docker listing, in parallel, before the lock. An inventory error refuses a
 * request for GPUs (never "no GPUs in use"); a request for none needs no GPUs and gets no slots.
 */
export async function observeForAllocation(deps: ObserveDeps, needsGpus = true): Promise<Observation> {
  const listedAt = deps.clock.now();
  const [inv, containers] = await Promise.all([deps.inventory(), deps.listContainers()]);
  if (inv.error !== null && needsGpus) throw new TransientError(`cannot read the GPUs, so nothing was allocated: ${inv.error}`, "nvidia-smi");
  return { slots: inv.error === null ? slotTable(inv.gpus).slots : [], containers, listedAt, currentAt: listedAt, source: "listing" };
}

function toAllocation(rows: readonly Reservation[], slots: readonly Slot[], existing: boolean): Allocation {
  const byUuid = new Map(slots.map((s) => [s.uuid, s]));
  const first = rows[0]!;
  return {
    requestId: first.requestId,
    user: first.user,
    container: first.container,
    slots: rows.map((r) => byUuid.get(r.slotUuid)).filter((s): s is Slot => s !== undefined),
    uuids: rows.filter((r) => !isContainerOnly(r)).map((r) => r.slotUuid),
    gpuEquivalent: sumWeights(rows.map((r) => r.weight)),
    expiresAt: Math.min(...rows.map((r) => r.expiresAt)),
    existing,
  };
}

function event(type: AuditEvent["type"], req: AllocationRequest, time: number, details: Record<string, unknown>): AuditEvent {
  return { time, type, user: req.user, container: req.container, containerId: null, details };
}

export type Reserved = { ok: true; allocation: Allocation } | { ok: false; rejection: Rejection };

/** One request of a batch: what it asks for and which other names' reservations it adopts. */
export interface BatchItem {
  request: AllocationRequest;
  /** Other names whose live reservation this request adopts (`gpu allocate --container NAME`, then `create --name NAME`). */
  adoptFrom: readonly string[];
}

/** A batch item's outcome: decided, or failed before anything was written for it. */
export type BatchOutcome = Reserved | { ok: false; error: TransientError };

/**
 * Reserves slots for `request` (all or nothing) or says why not (a rejection). Inside one lock:
 * drop expired reservations, return the user's live reservation for the same container if there
 * is one, else decide on the observation plus the reservations in the database, and insert the
 * new ones. The slot UUID is the table's primary key, so even a bug in the decision could not
 * reserve one slot twice.
 */
export function reserveSlots(deps: ReserveDeps, request: AllocationRequest, obs: Observation, adoptFrom: readonly string[] = []): Reserved {
  return settled(deps, reserveBatch(deps, [{ request, adoptFrom }], obs));
}

/** reserveSlots for a long-lived process (the gate): waits for the lock between timers, so its event loop goes on serving. */
export async function reserveSlotsAsync(deps: ReserveDeps, request: AllocationRequest, obs: Observation, adoptFrom: readonly string[] = []): Promise<Reserved> {
  // reserveBatch's own locked() runs inside the lock lockedAsync holds.
  return settled(deps, await deps.reservations.lockedAsync(() => reserveBatch(deps, [{ request, adoptFrom }], obs)));
}

/** One request's batch, after the lock: its audit events recorded, its failure thrown. */
function settled(deps: ReserveDeps, { outcomes, events }: { outcomes: BatchOutcome[]; events: AuditEvent[] }): Reserved {
  for (const e of events) deps.appendEvent?.(e);
  const outcome = outcomes[0]!;
  if ("error" in outcome) throw outcome.error;
  return outcome;
}

/**
 * Decides many requests, in order, under one lock and one commit (the broker's way: one lock
 * round for a burst of requests instead of one each). Each later request sees the earlier ones'
 * reservations. A request that fails (stale observation) fails alone, before writing anything.
 * The audit events are returned, not appended: the caller records them after the lock (and the
 * broker in one commit before answering).
 */
export function reserveBatch(deps: ReserveDeps, items: readonly BatchItem[], obs: Observation): { outcomes: BatchOutcome[]; events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  const outcomes = deps.reservations.locked((): BatchOutcome[] => {
    const now = deps.clock.now();
    deps.reservations.deleteExpired(now);
    return items.map((item): BatchOutcome => {
      try {
        return decide(deps, item, obs, now, events);
      } catch (e) {
        if (e instanceof TransientError) return { ok: false, error: e };
        throw e;
      }
    });
  });
  return { outcomes, events };
}

/** The decision for one request, inside the lock; audit events go to `events`. */
function decide(deps: ReserveDeps, { request, adoptFrom }: BatchItem, obs: Observation, now: number, events: AuditEvent[]): Reserved {
  if (now - obs.currentAt > MAX_LISTING_AGE_MS) {
    throw new TransientError(`the container listing is ${Math.round((now - obs.currentAt) / 1000)} s old; nothing was allocated, try again`, "docker");
  }
  const limits = deps.limitsFor(request.user);
  const ttl = deps.pendingTtlMs ?? PENDING_TTL_MS;
  const listedIds = new Set(obs.containers.map((c) => c.id));
  for (const name of [request.container, ...adoptFrom]) {
    const mine = deps.reservations
      .forContainer(name)
      .filter((r) => r.user === request.user && r.state === "pending" && reservationCounts(r, now, obs.listedAt, listedIds));
    if (mine.length === 0) continue;
    if (name !== request.container) deps.reservations.rename(name, request.container);
    return { ok: true, allocation: toAllocation(mine.map((r) => ({ ...r, container: request.container })), obs.slots, true) };
  }

  const plan = planAllocation({ request, limits, slots: obs.slots, containers: obs.containers, reservations: deps.reservations.all(), now, listedAt: obs.listedAt });
  if (!plan.ok) {
    events.push(
      event(EVENT.gpuReject, request, now, {
        reason: plan.rejection.code,
        message: plan.rejection.message,
        requested: requestDetails(request),
        held: plan.usage.equivalents,
        decided_from: obs.source,
      }),
    );
    return { ok: false, rejection: plan.rejection };
  }
  const requestId = randomUUID();
  const picks = plan.slots.length > 0 ? plan.slots.map((s) => ({ uuid: s.uuid, weight: s.weight! })) : [{ uuid: CONTAINER_ONLY_PREFIX + requestId, weight: 0 }];
  const rows: Reservation[] = picks.map((s) => ({
    slotUuid: s.uuid,
    user: request.user,
    container: request.container,
    weight: s.weight,
    requestId,
    state: "pending",
    containerId: null,
    createdAt: now,
    confirmedAt: null,
    expiresAt: now + ttl,
  }));
  // A row left on a chosen slot no longer counts (the planner chose the slot knowing every row that
  // does): a confirmed reservation whose container was removed while no daemon cleared it.
  for (const r of rows) deps.reservations.deleteSlot(r.slotUuid);
  deps.reservations.insert(rows);
  events.push(
    event(EVENT.gpuAllocate, request, now, {
      uuids: plan.slots.map((s) => s.uuid),
      slots: plan.slots.map((s) => s.id),
      gpu_equivalent: plan.gpuEquivalent,
      held_before: plan.usage.equivalents,
      request_id: requestId,
      requested: requestDetails(request),
      decided_from: obs.source,
    }),
  );
  return { ok: true, allocation: toAllocation(rows, plan.slots, false) };
}

/** Asks the daemon's broker when one listens, else observes and decides here. */
export async function requestSlots(deps: AllocatorDeps, request: AllocationRequest, adoptFrom: readonly string[] = []): Promise<Reserved> {
  const brokered = deps.broker ? await deps.broker.reserve(request, adoptFrom) : null;
  if (brokered) return brokered;
  const viewed = deps.observe ? await deps.observe() : null;
  return reserveSlotsAsync(deps, request, viewed ?? (await observeForAllocation(deps, request.count > 0)), adoptFrom);
}

function requestDetails(r: AllocationRequest): Record<string, unknown> {
  return { count: r.count, profile: r.profile, prefer_full: r.preferFull };
}

/** Reserves (through the broker or here); throws AllocationRefusedError on a refusal. */
export async function allocate(deps: AllocatorDeps, request: AllocationRequest): Promise<Allocation> {
  const result = await requestSlots(deps, request);
  if (!result.ok) throw new AllocationRefusedError(result.rejection);
  return result.allocation;
}

/**
 * What happens to a reservation after its create, each one step inside the lock: run with
 * `locked` by a one-shot command, with `lockedAsync` by a long-lived process (the gate), whose
 * event loop must not stop while another process holds the lock.
 */
export const reservationSteps = {
  /**
   * The container now exists and carries the slots: the reservation becomes `confirmed` and is kept
   * CONFIRMED_TTL_MS so that a process whose listing predates the creation still sees the slots
   * taken. False when the reservation was lost (expired and dropped): the caller must then remove
   * the container, since another request may have been given the same slots.
   */
  confirm: (deps: Pick<ReserveDeps, "reservations" | "clock">, requestId: string, containerId: string) => () =>
    deps.reservations.confirm(requestId, containerId, deps.clock.now(), CONFIRMED_TTL_MS) > 0,
  /** Drops one request's reservation (creation failed); the number of slots released. */
  release: (deps: Pick<ReserveDeps, "reservations">, requestId: string) => () => deps.reservations.deleteRequest(requestId),
  /**
   * Docker removed this container: its confirmed reservations go. Otherwise they would count for
   * the listing slack (a just-created container may be missing from a listing) or until the next
   * full listing, keeping a freed slot from a request waiting for it.
   */
  removed: (deps: Pick<ReserveDeps, "reservations">, containerId: string) => () => deps.reservations.deleteRemoved(containerId),
};

export function confirmReservation(deps: Pick<ReserveDeps, "reservations" | "clock">, requestId: string, containerId: string): boolean {
  return deps.reservations.locked(reservationSteps.confirm(deps, requestId, containerId));
}

export function releaseRequest(deps: Pick<ReserveDeps, "reservations">, requestId: string): number {
  return deps.reservations.locked(reservationSteps.release(deps, requestId));
}
