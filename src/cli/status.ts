// `ds01 status [--user U] [--json]`: containers with owner, type, state, GPUs and current activity.
// As root: every container (or --user's). As anyone else: only the caller's own.
//
// Activity is an average over an interval that ends now: from the container's last counter sample
// in the store (written by the daemon's passes) when the caller may read the store and that
// sample is at most STATUS_BASELINE_MAX_PASSES pass intervals old, else from two samples of its
// counters STATUS_SAMPLE_MS apart (cgroup/netns, Engine stats as fallback). Nothing is written to
// the store, so the command can run beside the daemon and as an ordinary user.
import type { IdentityOptions } from "../docker/identity.js";
import { listObserved } from "../docker/list-observed.js";
import { InvalidInputError, RefusedError } from "../errors.js";
import type { ObservedContainer } from "../model/container.js";
import type { ContainerRecord, CounterSample } from "../model/record.js";
import type { ContainerRuntime } from "../model/ports.js";
import { janitorRuntime, oneShotEngineRuntime } from "../compose/docker.js";
import { identityOptions } from "../compose/identity.js";
import { loadOneShotConfig } from "../compose/one-shot-start.js";
import { sampleAll, type ActivityReading, type PreviousSamples } from "../signals/activity.js";
import { syncHostReads } from "../signals/host-reads.js";
import { isoTime } from "../util/clock.js";
import { formatDuration } from "../util/duration.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { nextStepFor, readRecords } from "./status-next.js";
import { safeCell } from "../util/safe-text.js";


/** Interval between the two activity samples when the store has no recent sample of a container. */
export const STATUS_SAMPLE_MS = 500;
/** A stored sample older than this many pass intervals is not used as the start of the interval. */
export const STATUS_BASELINE_MAX_PASSES = 2;

/** One container as `ds01 status --json` prints it. Extend here (e.g. time-left columns). */
export interface StatusRow {
  id: string;
  name: string;
  owner: string;
  type: string;
  state: string;
  infrastructure: boolean;
  gpus: string[];
  started_at: string | null;
  cpu_pct: number | null;
  net_bytes_per_s: number | null;
  /** What ds01 will do next to this container, and when (null: nothing scheduled). */
  next: { kind: string; reason: string; at: string } | null;
}

const round = (v: number | null, digits: number) => (v === null ? null : Number(v.toFixed(digits)));

export function buildStatusRow(c: ObservedContainer, activity: ActivityReading | null): StatusRow {
  return {
    id: c.id,
    name: c.name,
    owner: c.identity.owner,
    type: c.identity.type,
    state: c.state,
    infrastructure: c.identity.infrastructure,
    gpus: [...c.identity.gpus],
    started_at: c.startedAt === null ? null : isoTime(c.startedAt),
    cpu_pct: round(activity?.cpuPct ?? null, 1),
    net_bytes_per_s: round(activity?.netBytesPerS ?? null, 0),
    next: null,
  };
}

export interface StatusDeps {
  runtime: ContainerRuntime;
  identity: IdentityOptions;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  sampleMs?: number;
  /** Where a container's interval may start (the store's samples, already judged recent enough). */
  baseline?: (id: string) => PreviousSamples;
}

const NO_SAMPLES: PreviousSamples = { lastCpu: null, lastNet: null };

/** A reading still unknown although its counters could be read: it needs a second sample. */
const needsSecondSample = (r: ActivityReading) => (r.cpuPct === null && r.lastCpu !== null) || (r.netBytesPerS === null && r.lastNet !== null);

/** The record's samples that are at most `maxAgeMs` old at `now` (older ones average too long a time). */
export function recentSamples(rec: Pick<ContainerRecord, "lastCpu" | "lastNet"> | undefined, now: number, maxAgeMs: number): PreviousSamples {
  const recent = (s: CounterSample | null) => (s !== null && now - s.at <= maxAgeMs && s.at <= now ? s : null);
  return { lastCpu: recent(rec?.lastCpu ?? null), lastNet: recent(rec?.lastNet ?? null) };
}

/** Fills in `next` for each row (what ds01 will do and when); optional, for `ds01 status`. */
export type NextStep = (c: ObservedContainer, activity: ActivityReading | null, all: readonly ObservedContainer[]) => StatusRow["next"];

/** Lists, identifies, filters by owner (null = everyone) and measures; rows sorted by owner, name. */
export async function statusRows(deps: StatusDeps & { nextStep?: NextStep | Promise<NextStep> | null }, owner: string | null): Promise<StatusRow[]> {
  const all = await listObserved(deps.runtime, deps.identity);
  const shown = owner === null ? all : all.filter((c) => c.identity.owner === owner);
  const running = shown.filter((c) => c.state === "running");
  // A one-shot command: the counters are read synchronously (signals/host-reads.ts).
  const act = { runtime: deps.runtime, now: deps.now, reads: syncHostReads };
  const readings = await sampleAll(running, (id) => deps.baseline?.(id) ?? NO_SAMPLES, act);
  const again = running.filter((c) => needsSecondSample(readings.get(c.id)!));
  if (again.length > 0) {
    await deps.sleep(deps.sampleMs ?? STATUS_SAMPLE_MS);
    for (const [id, r] of await sampleAll(again, (id) => readings.get(id) ?? NO_SAMPLES, act)) readings.set(id, r);
  }
  const nextStep = await deps.nextStep;
  return shown
    .map((c) => {
      const reading = readings.get(c.id) ?? null;
      return { ...buildStatusRow(c, reading), next: nextStep?.(c, reading, all) ?? null };
    })
    .sort((a, b) => a.owner.localeCompare(b.owner) || a.name.localeCompare(b.name));
}

function formatBytesPerS(v: number | null): string {
  if (v === null) return "-";
  const units = ["B/s", "KiB/s", "MiB/s", "GiB/s"];
  let x = v;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x.toFixed(0) : x.toFixed(1)} ${units[i]}`;
}

function shortGpu(id: string): string {
  return id.length > 14 ? `${id.slice(0, 12)}…` : id;
}

export function renderStatusTable(rows: readonly StatusRow[], now: number): string {
  if (rows.length === 0) return "no containers\n";
  const header = ["CONTAINER", "NAME", "OWNER", "TYPE", "STATE", "UP", "GPUS", "CPU%", "NET", "NEXT"];
  const lines = rows.map((r) => [
    r.id.slice(0, 12),
    r.infrastructure ? `${r.name} (infrastructure)` : r.name,
    r.owner,
    r.type,
    r.state,
    r.state === "running" && r.started_at ? formatDuration(now - Date.parse(r.started_at)) : "-",
    r.gpus.length ? r.gpus.map(shortGpu).join(",") : "-",
    r.cpu_pct === null ? "-" : r.cpu_pct.toFixed(1),
    formatBytesPerS(r.net_bytes_per_s),
    r.next ? `${r.next.kind} (${r.next.reason}) in ${formatDuration(Date.parse(r.next.at) - now)}` : "-",
  ].map(safeCell));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [fmt(header), ...lines.map(fmt)].join("\n") + "\n";
}

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS.status.options);
  if (values.user !== undefined && values.user.trim() === "") throw new InvalidInputError("--user needs a user name");
  let owner: string | null = values.user ?? null;
  if (ctx.uid !== 0) {
    if (owner !== null && owner !== ctx.userName) throw new RefusedError(`only root can see other users' containers (you are ${ctx.userName})`);
    owner = ctx.userName;
  }
  const { config } = await loadOneShotConfig(ctx);
  const identity = identityOptions(config);
  const runtime = janitorRuntime(ctx, oneShotEngineRuntime(ctx));
  const records = readRecords(ctx);
  // The GPU probe behind the time left runs while the containers are listed and sampled.
  const nextStep = nextStepFor(ctx, config, records);
  nextStep.catch(() => undefined); // awaited in statusRows; a failure there is the command's
  // Activity is a measurement of real elapsed time, so it uses the wall clock, not ctx.clock.
  const maxAgeMs = STATUS_BASELINE_MAX_PASSES * config.daemon.pass_interval_s * 1000;
  const baseline = (id: string) => recentSamples(records.get(id), Date.now(), maxAgeMs);
  const rows = await statusRows({ runtime, identity, now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), nextStep, baseline }, owner);
  if (values.json) printJson(ctx, { containers: rows });
  else ctx.out(renderStatusTable(rows, ctx.clock.now()));
  return 0;
}
