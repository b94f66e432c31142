// zod schemas for the parts of the Docker Engine API's JSON that ds01 reads. Only the fields we use
// are declared; everything else passes through untouched (zod objects strip unknown keys).
// Docker sends `null` for many empty collections (Labels, Env, DeviceRequests, DeviceIDs), so every
// such field accepts null.
import { z } from "zod";

const labels = z.record(z.string(), z.string()).nullish();

/** One entry of `GET /containers/json?all=1`. */
export const listEntrySchema = z.object({
  Id: z.string().min(1),
  Names: z.array(z.string()).nullish(),
  Image: z.string().nullish(),
  Created: z.number().nullish(), // unix seconds
  Labels: labels,
  State: z.string(),
  Status: z.string().nullish(),
  HostConfig: z.object({ NetworkMode: z.string().nullish() }).nullish(),
});
export type ListEntry = z.infer<typeof listEntrySchema>;
export const listSchema = z.array(listEntrySchema);

export const deviceRequestSchema = z.object({
  Driver: z.string().nullish(),
  Count: z.number().nullish(),
  DeviceIDs: z.array(z.string()).nullish(),
  Capabilities: z.array(z.array(z.string()).nullish()).nullish(),
});
export type DeviceRequest = z.infer<typeof deviceRequestSchema>;

/** `GET /containers/{id}/json`. */
export const inspectSchema = z.object({
  Id: z.string().min(1),
  Name: z.string().nullish(),
  Created: z.string().nullish(),
  Image: z.string().nullish(),
  RestartCount: z.number().nullish(),
  State: z.object({
    Status: z.string().nullish(),
    Running: z.boolean().nullish(),
    Pid: z.number().nullish(),
    StartedAt: z.string().nullish(),
    FinishedAt: z.string().nullish(),
  }),
  Config: z
    .object({
      Image: z.string().nullish(),
      Labels: labels,
      Env: z.array(z.string()).nullish(),
    })
    .nullish(),
  HostConfig: z
    .object({
      DeviceRequests: z.array(deviceRequestSchema).nullish(),
      CgroupParent: z.string().nullish(),
      NetworkMode: z.string().nullish(),
      Runtime: z.string().nullish(),
    })
    .nullish(),
});
export type InspectBody = z.infer<typeof inspectSchema>;

/** `GET /containers/{id}/stats?stream=false` (only what the fallback needs). */
export const statsSchema = z.object({
  read: z.string().nullish(),
  cpu_stats: z
    .object({ cpu_usage: z.object({ total_usage: z.number().nullish() }).nullish() })
    .nullish(),
  networks: z.record(z.string(), z.object({ rx_bytes: z.number().nullish(), tx_bytes: z.number().nullish() })).nullish(),
});
export type StatsBody = z.infer<typeof statsSchema>;

/** One line of `GET /events` (API ≥ 1.22 shape). */
export const eventSchema = z.object({
  Type: z.string().nullish(),
  Action: z.string().nullish(),
  status: z.string().nullish(),
  id: z.string().nullish(),
  Actor: z
    .object({
      ID: z.string().nullish(),
      Attributes: z.record(z.string(), z.string()).nullish(),
    })
    .nullish(),
  time: z.number().nullish(),
  timeNano: z.number().nullish(),
});
export type EventBody = z.infer<typeof eventSchema>;
