// `ds01 status [--user U] [--json]`: containers with owner, type, state, GPUs and current activity.
// As root: every container (or --user's). As anyone else: only the caller's own.
//
// Activity in this one-shot command is measured here and now: two samples of each running
// container's counters STATUS_SAMPLE_MS apart (cgroup/netns, Engine stats as fallback), so cpu_pct
// and net_bytes_per_s are averages over that interval. Nothing is written to the store, so the
// command can run beside the daemon and as an ordinary user.
import { loadConfig } from "../config/load-config.js";
import { locateConfigDir } from "../config/locate-config-dir.js";
import { DockerRuntime } from "../docker/docker-runtime.js";
import { identify, type IdentityOptions } from "../docker/identity.js";
import { InvalidInputError, RefusedError } from "../errors.js";
import type { ObservedContainer } from "../model/container.js";
import type { ContainerRuntime } from "../model/ports.js";
import { parseScope, scopedRuntime } from "../pass/scoped-runtime.js";
import { sampleAll, type ActivityReading } from "../signals/activity.js";
import { isoTime } from "../util/clock.js";
import { formatDuration } from "../util/duration.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { nextStepFor } from "./status-next.js";
import { safeCell } from "../util/safe-text.js";


/** Interval between the two activity samples of the one-shot measurement. */
export const STATUS_SAMPLE_MS = 1000;

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
}

/** Fills in `next` for each row (what ds01 will do and when); optional, for `ds01 status`. */
export type NextStep = (c: ObservedContainer, activity: ActivityReading | null, all: readonly ObservedContainer[]) => StatusRow["next"];

/** Lists, identifies, filters by owner (null = everyone) and measures; rows sorted by owner, name. */
export async function statusRows(deps: StatusDeps & { nextStep?: NextStep | null }, owner: string | null): Promise<StatusRow[]> {
  const all = (await deps.runtime.list()).map((info): ObservedContainer => ({ ...info, identity: identify(info, deps.identity) }));
  const shown = owner === null ? all : all.filter((c) => c.identity.owner === owner);
  const running = shown.filter((c) => c.state === "running");
  const act = { runtime: deps.runtime, now: deps.now };
  const first = await sampleAll(running, () => ({ lastCpu: null, lastNet: null }), act);
  if (running.length > 0) await deps.sleep(deps.sampleMs ?? STATUS_SAMPLE_MS);
  const second = await sampleAll(running, (id) => first.get(id) ?? { lastCpu: null, lastNet: null }, act);
  return shown
    .map((c) => {
      const reading = second.get(c.id) ?? null;
      return { ...buildStatusRow(c, reading), next: deps.nextStep?.(c, reading, all) ?? null };
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
  const config = await loadConfig(locateConfigDir(ctx).dir);
  const identity: IdentityOptions = {
    infrastructurePrefixes: config.monitoring.infrastructure_containers,
    protectedLabel: config.monitoring.infrastructure_label,
  };
  const runtime = scopedRuntime(new DockerRuntime({ dockerHost: ctx.env.DOCKER_HOST }), parseScope(ctx.env.DS01_SCOPE_LABEL));
  const nextStep = await nextStepFor(ctx, config);
  // Activity is a measurement of real elapsed time, so it uses the wall clock, not ctx.clock.
  const rows = await statusRows({ runtime, identity, now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), nextStep }, owner);
  if (values.json) printJson(ctx, { containers: rows });
  else ctx.out(renderStatusTable(rows, ctx.clock.now()));
  return 0;
}
