// A message for a person (the container's owner) or for the administrators, and what became of it.
// The executor builds Notices; the Notifier (src/notify/) renders and delivers them on every channel.

export const NOTICE_SEVERITIES = ["warning", "final_warning", "stopped", "notice", "alert"] as const;
export type NoticeSeverity = (typeof NOTICE_SEVERITIES)[number];

export const NOTICE_AUDIENCES = ["user", "admin"] as const;
export type NoticeAudience = (typeof NOTICE_AUDIENCES)[number];

export const DELIVERY_CHANNELS = ["tty", "container_file", "webhook", "email"] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

/** The owner's standing against their limits, shown as one line. `null` used = unknown, `null` limit = no limit. */
export interface NoticeQuota {
  gpusUsed: number | null; // GPU-equivalents (a MIG slice counts its fraction)
  gpusLimit: number | null;
  memoryLimit: string | null; // as configured, e.g. "96g"
  containersUsed: number | null;
  containersLimit: number | null;
}

export interface Notice {
  audience: NoticeAudience;
  /** The container's owner (user notices); null for admin alerts about no one in particular. */
  user: string | null;
  containerId: string | null;
  containerName: string | null;
  severity: NoticeSeverity;
  /** Short, upper-case by convention: "IDLE CONTAINER", "MAX RUNTIME", "GPU RESET REFUSED". */
  title: string;
  /** What will happen, when, and why (signal values against their thresholds). May span lines. */
  body: string;
  /** The numbers behind the notice (idle_for_s, gpu_util, threshold, ...): rendered on a details line and sent as-is to webhooks. */
  facts: Record<string, unknown>;
  /** How to prevent it, one line per way ("touch /workspace/.keep-alive", "ds01 keepalive NAME"). Optional. */
  prevent?: readonly string[];
  /** Optional quota line (fixes the original's broken "Your resource quotas" line). */
  quota?: NoticeQuota | null;
}

export interface DeliveryResult {
  channel: DeliveryChannel;
  /** Where it went: "/dev/pts/3", "container <id>:/workspace/.ds01-alerts", a webhook origin (never its secret path), an address. */
  target: string;
  ok: boolean;
  error: string | null;
  /** container_file only: how it was written ("exec" also when an exec was tried and failed: it ran in the container). */
  via?: "archive" | "exec";
}
