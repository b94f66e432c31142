// Every audit event type ds01 writes. Dotted `category.action`, as in the original's events.jsonl.
export const EVENT = {
  configLoaded: "config.loaded",
  configReloaded: "config.reloaded",
  configReloadFailed: "config.reload_failed",

  idleWarning: "container.idle_warning",
  idleFinalWarning: "container.idle_final_warning",
  idleNotice: "container.idle_notice", // FYI to exempt users
  idleStop: "container.idle_stop",
  runtimeWarning: "container.runtime_warning",
  runtimeFinalWarning: "container.runtime_final_warning",
  runtimeStop: "container.runtime_stop",
  runtimeExempt: "container.runtime_exempt",
  keepaliveHonoured: "container.keepalive_honoured",
  keepaliveSet: "container.keepalive_set",
  containerRemove: "container.remove",
  containerStarted: "container.started",
  containerExited: "container.exited",
  containerCreated: "container.created",
  containerDestroyed: "container.destroyed",
  containerCreate: "container.create",

  gpuAllocate: "gpu.allocate",
  gpuReject: "gpu.reject",
  gpuRelease: "gpu.release",
  gpuFreed: "gpu.freed",
  gpuOrphanKilled: "gpu.orphan_killed",
  gpuOrphanKillFailed: "gpu.orphan_kill_failed",
  gpuReset: "gpu.reset",
  gpuResetFailed: "gpu.reset_failed",
  gpuAlert: "gpu.alert",
  gpuQueueWait: "gpu.queue_wait",
  gpuQueueServed: "gpu.queue_served",
  gpuQueueTimeout: "gpu.queue_timeout",
  gpuQueueLeft: "gpu.queue_left",

  exemptionAdded: "exemption.added",
  exemptionRemoved: "exemption.removed",

  notifySent: "notify.sent",
  notifyFailed: "notify.failed",

  gateCreate: "gate.create",
  gateDenied: "gate.denied",
  gateAdminOverride: "gate.admin_override",
  /** A copy or export cut off because its client held it up (the container stays locked in dockerd meanwhile). */
  gateStalled: "gate.stalled",
  gateStarted: "gate.started",
  gateStopped: "gate.stopped",

  userOomKill: "user.oom_kill", // processes OOM-killed inside a user's cgroup parent
  userCgroupRemoved: "user.cgroup_removed", // an empty cgroup parent removed

  actionFailed: "action.failed",
  /** Shutdown stopped waiting for a destructive action in flight; the next start reconciles it. */
  actionAbandoned: "action.abandoned",
  /** A destructive action cut short (ds01 died or gave up): at start the engine says it did not happen. */
  actionInterrupted: "action.interrupted",
  /** An intent whose stored action could not be read, found done at start (settled from its kind, container and PID). */
  actionReconciled: "action.reconciled",
  probeFailed: "probe.failed",
  daemonStarted: "daemon.started",
  daemonStopped: "daemon.stopped",
} as const;

export type EventType = (typeof EVENT)[keyof typeof EVENT];
