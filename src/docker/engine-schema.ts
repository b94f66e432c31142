// Schemas (util/shape.ts) for the parts of the Docker Engine API's JSON that ds01 reads. Only the
// fields we use are declared; a parsed body holds nothing else (unknown keys are left out).
// Docker sends `null` for many empty collections (Labels, Env, DeviceRequests, DeviceIDs), so every
// such field accepts null.
import { array, boolean, number, object, record, string, type Infer } from "../util/shape.js";

const labels = record(string()).nullish();

/** One entry of `GET /containers/json?all=1`. */
export const listEntrySchema = object({
  Id: string({ min: 1 }),
  Names: array(string()).nullish(),
  Image: string().nullish(),
  Created: number().nullish(), // unix seconds
  Labels: labels,
  State: string(),
  Status: string().nullish(),
  HostConfig: object({ NetworkMode: string().nullish() }).nullish(),
});
export type ListEntry = Infer<typeof listEntrySchema>;
export const listSchema = array(listEntrySchema);

export const deviceRequestSchema = object({
  Driver: string().nullish(),
  Count: number().nullish(),
  DeviceIDs: array(string()).nullish(),
  Capabilities: array(array(string()).nullish()).nullish(),
});
export type DeviceRequest = Infer<typeof deviceRequestSchema>;

/** `GET /containers/{id}/json`. */
export const inspectSchema = object({
  Id: string({ min: 1 }),
  Name: string().nullish(),
  Created: string().nullish(),
  Image: string().nullish(),
  RestartCount: number().nullish(),
  State: object({
    Status: string().nullish(),
    Running: boolean().nullish(),
    Pid: number().nullish(),
    StartedAt: string().nullish(),
    FinishedAt: string().nullish(),
  }),
  Config: object({
      Image: string().nullish(),
      Labels: labels,
      Env: array(string()).nullish(),
    })
    .nullish(),
  HostConfig: object({
      DeviceRequests: array(deviceRequestSchema).nullish(),
      CgroupParent: string().nullish(),
      NetworkMode: string().nullish(),
      Runtime: string().nullish(),
    })
    .nullish(),
});
export type InspectBody = Infer<typeof inspectSchema>;

/** `GET /containers/{id}/stats?stream=false` (only what the fallback needs). */
export const statsSchema = object({
  read: string().nullish(),
  cpu_stats: object({ cpu_usage: object({ total_usage: number().nullish() }).nullish() })
    .nullish(),
  networks: record(object({ rx_bytes: number().nullish(), tx_bytes: number().nullish() })).nullish(),
});
export type StatsBody = Infer<typeof statsSchema>;

/** One line of `GET /events` (API ≥ 1.22 shape). */
export const eventSchema = object({
  Type: string().nullish(),
  Action: string().nullish(),
  status: string().nullish(),
  id: string().nullish(),
  Actor: object({
      ID: string().nullish(),
      Attributes: record(string()).nullish(),
    })
    .nullish(),
  time: number().nullish(),
  timeNano: number().nullish(),
});
export type EventBody = Infer<typeof eventSchema>;
