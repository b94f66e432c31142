// ContainerRecord <-> the JSON text in container_records.record. Checked (util/shape.ts) at this boundary.
// A field missing from a stored row (written before the field existed) takes its newRecord()
// default, so fields added to ContainerRecord later need no migration; a damaged row reads as "no
// record" (the container starts clean) instead of crashing every pass.
import { number, object, string } from "../util/shape.js";
import { newRecord, type ContainerRecord } from "../model/record.js";

const counter = object({ value: number(), at: number() }).nullable().optional();
const time = number().nullable().optional();

// Loose: keys not listed here survive a round trip unchanged.
const recordSchema = object(
  {
  containerId: string({ min: 1 }),
  name: string(),
  owner: string(),
  firstSeenAt: number(),
  firstStartedAt: time,
  lastStartedAt: time,
  runtimeAccumulatedMs: number({ nonnegative: true }).optional(),
  idleStreak: number({ int: true, nonnegative: true }).optional(),
  idleSince: time,
  lastObservedAt: time,
  idleWarnedAt: time,
  idleFinalWarnedAt: time,
  idleNoticeAt: time,
  runtimeWarnedAt: time,
  runtimeFinalWarnedAt: time,
  runtimeExemptAuditedAt: time,
  keepaliveUntil: time,
  lastCpu: counter,
  lastNet: counter,
  },
  { loose: true },
);

export function encodeRecord(r: ContainerRecord): string {
  return JSON.stringify(r);
}

/** The record, or null when the text is not a valid record. */
export function decodeRecord(text: string): ContainerRecord | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success) return null;
  const d = parsed.data;
  const present = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined));
  return { ...newRecord(d.containerId, d.name, d.owner, d.firstSeenAt), ...present } as ContainerRecord;
}
