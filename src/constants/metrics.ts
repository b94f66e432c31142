// Every Prometheus metric ds01 exports, in one place. Deploy files (alert rules, dashboards) use these names.
export const METRIC = {
  info: "ds01_info",
  gpuSlotsTotal: "ds01_gpu_slots_total", // labels: kind (full|mig)
  gpuEquivalentsTotal: "ds01_gpu_equivalents_total",
  gpuEquivalentsAllocated: "ds01_gpu_equivalents_allocated",
  gpuSlotAllocated: "ds01_gpu_slot_allocated", // labels: gpu_uuid, slot_uuid, profile; value = weight held (0 when free)
  gpuUtilization: "ds01_gpu_utilization_percent", // labels: gpu_uuid, index
  userGpuEquivalents: "ds01_user_gpu_equivalents", // labels: user
  containers: "ds01_containers", // labels: state, type, owner
  containerIdleSeconds: "ds01_container_idle_seconds", // labels: container, owner (GPU containers only)
  containerIdleStreak: "ds01_container_idle_streak", // labels: container, owner
  actionsTotal: "ds01_actions_total", // labels: kind, reason, result
  notificationsTotal: "ds01_notifications_total", // labels: channel, result
  passDuration: "ds01_pass_duration_seconds", // histogram
  lastSuccessfulPass: "ds01_last_successful_pass_timestamp_seconds",
  probeErrorsTotal: "ds01_probe_errors_total", // labels: source (docker|nvidia_smi|dcgm|cgroup)
  storeErrorsTotal: "ds01_store_errors_total", // failed writes to ds01's own SQLite store (never a probe error)
  orphanProcessesTotal: "ds01_orphan_processes_found_total",
  gpusMissing: "ds01_gpus_missing",
  gpuResetFailuresTotal: "ds01_gpu_reset_failures_total",
  highDemand: "ds01_high_demand", // 1 when allocated/total >= threshold, or a GPU create waits
  gpuQueueLength: "ds01_gpu_queue_length",
  gpuQueueWait: "ds01_gpu_queue_wait_seconds",
  dockerUp: "ds01_docker_up",
  configReloadsTotal: "ds01_config_reloads_total", // labels: result
  userCpuUsage: "ds01_user_cpu_usage_seconds_total", // labels: user, group; from the user's cgroup parent (aggregate limits)
  userMemoryCurrent: "ds01_user_memory_current_bytes", // labels: user, group
  passInterval: "ds01_pass_interval_seconds", // config daemon.pass_interval_s; the pass-stale alert compares against 3x this
} as const;

/** Values of the `result` label on actions, notifications and config reloads (alert rules match on them). */
export const METRIC_RESULT = { ok: "ok", failed: "failed" } as const;
