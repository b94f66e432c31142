// The planner's vocabulary: its input (Snapshot + policy view + records) and output (Plan).
import type { ContainerType, ObservedContainer } from "../model/container.js";
import type { GpuInventory } from "../model/gpu.js";
import type { ActiveExemption, EffectiveTimeouts, Enforcement, ResolvedPolicy } from "../model/policy.js";
import type { ContainerRecord } from "../model/record.js";

export const ACTION_KINDS = ["warn", "final_warn", "notice", "stop", "remove", "release_gpu", "kill_process", "reset_gpu", "alert"] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const ACTION_REASONS = ["idle", "max_runtime", "created_timeout", "exited_hold", "gpu_hold", "orphan_process", "gpu_health"] as const;
export type ActionReason = (typeof ACTION_REASONS)[number];

export const SKIP_WHYS = ["grace", "protected", "exempt", "devcontainer", "active", "keepalive", "within_limits", "no_gpu"] as const;
export type SkipWhy = (typeof SKIP_WHYS)[number];

export interface ContainerActivity {
  /** Percent of one core, averaged since the previous sample; null = unknown. */
  cpuPct: number | null;
  /** Bytes received + sent per second, averaged since the previous sample; null = unknown. */
  netBytesPerS: number | null;
}

/** Everything observed in one pass. Produced by observe (I/O), consumed by plan (pure). */
export interface Snapshot {
  now: number;
  containers: readonly ObservedContainer[];
  /** Set when Docker could not be listed: then `containers` is empty and nothing may be acted on. */
  dockerError: string | null;
  /** Activity of running containers, by container ID. */
  activity: ReadonlyMap<string, ContainerActivity>;
  gpus: GpuInventory;
  /** Highest utilisation sampled per GPU UUID over the interval since the last pass (null = unknown). */
  gpuUtilMax: ReadonlyMap<string, number | null>;
  /** Modification time of each running container's keep-alive file (absent = no file). */
  keepaliveMtime: ReadonlyMap<string, number>;
  /** Running containers that own GPU processes but are outside `containers` (e.g. out of scope). */
  otherLiveContainerIds?: ReadonlySet<string>;
  /** GPU UUIDs released since the last pass (containers stopped/removed): the health check looks at these. */
  releasedGpus: readonly string[];
  /** GPU creates waiting in the gate's queue (absent = none, or no gate): counts as high demand. */
  gpuQueueWaiting?: number;
}

/** The policy functions the planner needs; the config module supplies them (one resolution everywhere). */
export interface PolicyView {
  forOwner(owner: string): ResolvedPolicy;
  /** The global `policies:` section (not any user's): gpu_reset, high-demand settings. */
  global(): ResolvedPolicy["policies"];
  effectiveTimeouts(policy: ResolvedPolicy, type: ContainerType): EffectiveTimeouts;
  exemptionFor(policy: ResolvedPolicy, enforcement: Enforcement): ActiveExemption | null;
  /** Exited-container hold in seconds (GPU containers: the shorter of the two holds); null = never. */
  containerHoldS(policy: ResolvedPolicy, hasGpu: boolean): number | null;
}

export interface NoticeText {
  severity: "warning" | "final_warning" | "stopped" | "notice" | "alert";
  title: string;
  body: string;
}

/** What every action carries, whatever its kind. */
interface ActionBase {
  /** One line for logs and tables. */
  summary: string;
  /** The numbers behind the decision: signal values, thresholds, timeouts. */
  details: Record<string, unknown>;
  /** Actions sharing a group run in order; a failure skips the rest of the group. */
  group: string;
}

/** An action on one observed container, owned by `user`. */
interface OnContainer extends ActionBase {
  containerId: string;
  container: string;
  user: string;
}

/** An action on a GPU or a host process: no container of anyone's is its target. */
interface OnGpu extends ActionBase {
  containerId: null;
  container: null;
  user: null;
  gpuUuid: string;
}

export type EnforcementReason = Extract<ActionReason, "idle" | "max_runtime">;
/** Why a container is removed (and its GPUs released): after an idle stop, or by the stale cleanup. */
export type RemovalReason = Exclude<ActionReason, "orphan_process" | "gpu_health">;

/** A warning, a final warning, or an FYI notice to an exempt owner: told, then recorded in `marks`. */
export interface WarningAction extends OnContainer {
  kind: "warn" | "final_warn" | "notice";
  reason: EnforcementReason;
  /** Record fields to set once the owner was told (the warning flags). */
  marks: Partial<ContainerRecord>;
  notice: NoticeText;
}

export interface StopAction extends OnContainer {
  kind: "stop";
  reason: EnforcementReason;
  /** Seconds between SIGTERM and SIGKILL (the container type's sigterm_grace_s). */
  graceS: number;
  /** Told to the owner before the stop (while the in-container file can still be written). */
  notice: NoticeText;
}

export interface RemoveAction extends OnContainer {
  kind: "remove";
  reason: RemovalReason;
}

/** Bookkeeping only: allocation is derived from Docker, so a removed container's slot is free. */
export interface ReleaseGpuAction extends OnContainer {
  kind: "release_gpu";
  reason: RemovalReason;
  gpuUuid: string;
}

export interface KillProcessAction extends ActionBase {
  kind: "kill_process";
  reason: "orphan_process";
  /** The container the process's cgroup names (gone, or not running), if any. */
  containerId: string | null;
  container: null;
  user: null;
  pid: number;
  /** The GPU (or MIG device) the process was found on. */
  gpuUuid: string;
}

export interface ResetGpuAction extends OnGpu {
  kind: "reset_gpu";
  reason: "gpu_health";
}

/** Tells the admins about a GPU that needs a person. */
export interface AlertAction extends OnGpu {
  kind: "alert";
  reason: "gpu_health";
  notice: NoticeText;
}

/** One variant per kind, each with exactly the fields it needs. */
export type PlannedAction = WarningAction | StopAction | RemoveAction | ReleaseGpuAction | KillProcessAction | ResetGpuAction | AlertAction;

export interface Skip {
  containerId: string;
  container: string;
  why: SkipWhy;
  detail: string;
}

export interface Plan {
  now: number;
  actions: PlannedAction[];
  skipped: Skip[];
  /** Records to persist before acting (streaks, samples, first-start times). */
  records: ContainerRecord[];
  /** Records of containers that no longer exist. */
  forget: string[];
}
