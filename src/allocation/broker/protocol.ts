// The allocation broker's wire format: one JSON object per line over a Unix socket, each request
// carrying an id that its answer repeats. Only `reserve` goes through the broker: it is the step
// that needs the allocation lock and a view of Docker; confirm and release stay single quick
// writes that any process makes itself.
import { z } from "zod";
import type { Allocation } from "../allocator.js";
import type { Rejection } from "../quota.js";

export { BROKER_SOCKET_FILE } from "./socket-file.js";

export const brokerRequestSchema = z.object({
  id: z.number().int(),
  op: z.literal("reserve"),
  request: z.object({
    user: z.string().min(1),
    container: z.string().min(1),
    count: z.number().int().min(0),
    profile: z.string().nullable(),
    preferFull: z.boolean(),
    pinned: z.array(z.string().min(1)).max(64).optional(),
  }),
  adoptFrom: z.array(z.string()).default([]),
});
export type BrokerRequest = z.infer<typeof brokerRequestSchema>;

export type BrokerAnswer =
  | { id: number; ok: true; allocation: Allocation }
  | { id: number; ok: false; rejection: Rejection }
  /** Failed before anything was reserved (stale view, bad request, store error). */
  | { id: number; ok: false; error: string; source: string }
  /** The broker cannot decide now (no current view of Docker or the GPUs): decide locally. */
  | { id: number; unavailable: string };
