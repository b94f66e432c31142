// ds01's own small interfaces to the outside world, named by capability (docs/architecture.md).
// Core code (policy/, actions/) depends on these; adapters implement them (docker/, gpu/, store/, notify/).
import type { AuditEvent, AuditEventFilter } from "./audit-event.js";
import type { ContainerInfo } from "./container.js";
import type { GpuInventory } from "./gpu.js";
import type { DeliveryResult, Notice } from "./notice.js";
import type { ContainerRecord } from "./record.js";

/** Docker Engine, through its API. Every call has a timeout; an unreachable engine throws TransientError. */
export interface ContainerRuntime {
  /**
   * Every container in every state (with `filters.label`: those the engine matches, a hint that an
   * implementation may ignore). Never an empty list on error: throws instead.
   */
  list(filters?: { label?: string[] }): Promise<ContainerInfo[]>;
  /** One container, or null when it no longer exists. */
  inspect(idOrName: string): Promise<ContainerInfo | null>;
  /** `docker stop -t graceS`. A container already stopped is not an error. */
  stop(id: string, graceS: number): Promise<void>;
  /** Removes a stopped container. A container already gone is not an error. */
  remove(id: string): Promise<void>;
  /** Engine stats fallback (one non-streamed sample); null when the container isn't running. */
  stats(id: string): Promise<EngineStats | null>;
  /** Runs a command inside a running container (used for the in-container notice file). */
  exec(id: string, cmd: string[], opts: { timeoutMs: number; stdin?: string }): Promise<{ exitCode: number | null }>;
  /** Streams container events (and image events, given `onImageEvent`) until `signal` aborts; reconnecting is the caller's job. */
  events(onEvent: (e: ContainerEvent) => void, signal: AbortSignal, onImageEvent?: (action: string) => void): Promise<void>;
  /** What is at `path` inside the container (the Engine's archive HEAD), or null when nothing is. */
  statPath(id: string, path: string, opts: { timeoutMs: number }): Promise<PathStat | null>;
  /** A tar archive of `path` inside the container (archive GET), or null when nothing is there. */
  copyFrom(id: string, path: string, opts: { timeoutMs: number }): Promise<Buffer | null>;
  /** Unpacks a tar archive into directory `dir` of the container (archive PUT): no shell, no process in it. */
  copyTo(id: string, dir: string, tar: Buffer, opts: { timeoutMs: number }): Promise<void>;
}

export interface PathStat {
  isDir: boolean;
  isSymlink: boolean;
  size: number;
}

export interface EngineStats {
  cpuTotalNs: number;
  netRxBytes: number | null;
  netTxBytes: number | null;
  at: number;
}

export interface ContainerEvent {
  action: "create" | "start" | "die" | "stop" | "destroy" | "kill" | "restart" | "pause" | "unpause" | string;
  id: string;
  name: string | null;
  labels: Readonly<Record<string, string>>;
  time: number; // epoch ms
}

/** nvidia-smi, read-only but for the guarded reset (the three invocations: docs/gpu-probe.md). */
export interface GpuProbe {
  /** `nvidia-smi -q -x` + `-L`: GPUs, MIG devices, processes. Errors become `inventory.error`. */
  inventory(): Promise<GpuInventory>;
  /** The cheap `--query-gpu=...` sample: utilisation per GPU UUID (null = unknown). */
  sample(): Promise<Map<string, number | null>>;
  /** `nvidia-smi -r -i <uuid>`. Only the health action calls this, after its guards. */
  reset(gpuUuid: string): Promise<void>;
}

/** Host processes: liveness, cgroups, signals. */
export interface HostProcesses {
  /** True when /proc/<pid> exists on this host. */
  exists(pid: number): Promise<boolean>;
  /** The Docker container ID whose cgroup holds the PID, or null (host process or unreadable). */
  containerOf(pid: number): Promise<string | null>;
  signal(pid: number, sig: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Start time and names of the process now holding the PID, or null (gone or unreadable). */
  identity(pid: number): Promise<ProcessIdentity | null>;
}

/**
 * What tells a process apart from a later one that reuses its PID: the start time in clock ticks
 * since boot (field 22 of /proc/<pid>/stat) never repeats for a PID until reboot.
 */
export interface ProcessIdentity {
  startTicks: string;
  /** /proc/<pid>/comm (at most 15 characters). */
  comm: string;
  /** argv[0] from /proc/<pid>/cmdline, or "" (kernel threads, zombies). */
  argv0: string;
}

/** The audit log. Appends are durable when the call returns. */
export interface EventStore {
  append(event: AuditEvent): void;
  query(filter: AuditEventFilter): AuditEvent[];
}

/** Per-container memory between passes, keyed by container ID. */
export interface RecordStore {
  get(containerId: string): ContainerRecord | null;
  all(): ContainerRecord[];
  put(record: ContainerRecord): void;
  /** Writes records and events in one transaction (a crash keeps both or neither). */
  commit(records: readonly ContainerRecord[], events: readonly AuditEvent[]): void;
  delete(containerId: string): void;
}

/**
 * Tells people what ds01 is about to do or did (src/notify/). Renders and delivers one notice on
 * every configured channel. Never throws: each channel's failure is returned for the caller to audit.
 */
export interface Notifier {
  notify(notice: Notice): Promise<DeliveryResult[]>;
}
