// The policy that applies to one user, after merging defaults → group → user override.
// Key names are the original DS01's (resource-limits.yaml), so `ds01 config resolve --json` can print
// this as it is. `null` always means "no limit" / "never".

export interface ResolvedLimits {
  max_gpu_equivalents: number | null;
  max_gpu_slots_per_container: number | null;
  allow_full_gpu: boolean;
  max_cpus: number | null;
  memory: string | null;
  memory_swap: string | null;
  shm_size: string | null;
  pids_limit: number | null;
  max_containers_per_user: number | null;
  max_runtime_h: number | null;
  idle_timeout_h: number | null;
  gpu_hold_after_stop_h: number | null;
  container_hold_after_stop_h: number | null;
  /** Aggregate per-user GPU cap (`aggregate.gpu_limit`), null = none. */
  gpu_limit: number | null;
  priority: number | null;
}

export interface ResolvedPolicies {
  gpu_idle_threshold: number; // percent
  cpu_idle_threshold: number; // percent of one core
  network_idle_threshold: number; // bytes per second
  idle_detection_window: number; // consecutive idle observations
  grace_period_m: number;
  keepalive_max_duration_h: number | null;
  sigterm_grace_s: number;
  high_demand_threshold: number | null;
  high_demand_idle_reduction: number;
  created_container_timeout_m: number | null;
  min_warning_lead_m: number;
  idle_applies_to: "gpu" | "all";
  gpu_reset: "auto" | "never";
  /** Path of the keep-alive file inside a container; always set by resolvePolicy (src/config). */
  keepalive_file?: string;
}

export interface ContainerTypePolicy {
  idle_timeout_h: number | null;
  max_runtime_h: number | null;
  sigterm_grace_s: number;
}

export const ENFORCEMENTS = ["idle_timeout_h", "max_runtime_h"] as const;
export type Enforcement = (typeof ENFORCEMENTS)[number];

export interface ActiveExemption {
  exempt_from: Enforcement[];
  reason: string | null;
  /** ISO-8601 UTC, or null for a permanent exemption. */
  expires_on: string | null;
}

/**
 * The user's `aggregate:` caps over all their containers together (one cgroup parent per user).
 * Each key null = no cap; the whole object null = no aggregate block at any layer.
 */
export interface ResolvedAggregate {
  /** systemd CPUQuota style ("400%" = four cores) or a number of cores as text. */
  cpu_quota: string | null;
  memory_max: string | null;
  memory_high: string | null;
  tasks_max: number | null;
}

export interface ResolvedPolicy {
  user: string;
  group: string;
  /** How the group was chosen: user override, a members list, or the default group. */
  group_source: "override" | "members" | "default";
  limits: ResolvedLimits;
  aggregate: ResolvedAggregate | null;
  policies: ResolvedPolicies;
  container_types: Record<string, ContainerTypePolicy>;
  exemptions: ActiveExemption[];
}

/** The numbers one container is held to, from its owner's policy and its type. */
export interface EffectiveTimeouts {
  idleTimeoutS: number | null;
  maxRuntimeS: number | null;
  sigtermGraceS: number;
}
