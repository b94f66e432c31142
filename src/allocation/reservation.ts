// A reservation: slots promised to a container that does not hold them (yet) in Docker's eyes.
// Lifecycle: pending (reserved, container not created yet; expires at `expiresAt` so a crash never
// leaks a slot for long) → confirmed (the container exists and carries the slots in its labels and
// DeviceRequest; kept a little longer so that a process whose Docker listing predates the creation
// still sees the slot taken) → deleted (expired, released, or creation failed).

export const RESERVATION_STATES = ["pending", "confirmed"] as const;
export type ReservationState = (typeof RESERVATION_STATES)[number];

export interface Reservation {
  slotUuid: string;
  user: string;
  /** The container name the slots are for (as given to `gpu allocate`, or `<name>._.<user>`). */
  container: string;
  weight: number;
  /** One id per allocation request; all slots of one request share it. */
  requestId: string;
  state: ReservationState;
  containerId: string | null;
  createdAt: number;
  confirmedAt: number | null;
  expiresAt: number;
}

/** How long a pending reservation lives without a container. */
export const PENDING_TTL_MS = 120_000;
/** How long a confirmed reservation is kept after its container was created. */
export const CONFIRMED_TTL_MS = 120_000;
/**
 * A Docker listing older than this (at the moment the lock is held) is not trusted: a confirmed
 * reservation may already have been dropped while its container was not in that listing.
 */
export const MAX_LISTING_AGE_MS = 60_000;
/** Clock slack between "container created" and "listing started" comparisons. */
export const LISTING_SLACK_MS = 1_000;

/**
 * Does this reservation still take its slot, for a decision based on a Docker listing that started
 * at `listedAt` and contained the container ids `listedIds`?
 * - pending: until it expires;
 * - confirmed: only while the listing could have missed the container (listing started before the
 *   confirmation, with slack) and the container is not in it; once a listing shows the container,
 *   its labels hold the slot; a listing started later that lacks it means it was removed.
 */
export function reservationCounts(r: Reservation, now: number, listedAt: number, listedIds: ReadonlySet<string>): boolean {
  if (r.expiresAt <= now) return false;
  if (r.state === "pending") return true;
  if (r.containerId !== null && listedIds.has(r.containerId)) return false;
  return r.confirmedAt === null || r.confirmedAt + LISTING_SLACK_MS >= listedAt;
}

/**
 * A create without GPUs still reserves its container name (max_containers_per_user must hold under
 * concurrency too): one row whose slot_uuid is this prefix plus the request id. It takes no slot.
 */
export const CONTAINER_ONLY_PREFIX = "container-only:";

export function isContainerOnly(r: Pick<Reservation, "slotUuid">): boolean {
  return r.slotUuid.startsWith(CONTAINER_ONLY_PREFIX);
}
