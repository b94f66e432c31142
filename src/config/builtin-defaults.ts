// Values used when a key is absent from every layer of the config (documented in docs/config.md).
import type { ResolvedLimits, ResolvedPolicies } from "../model/policy.js";
import { DEFAULT_KEEPALIVE_FILE } from "../constants/keepalive.js";

export const BUILTIN_LIMITS: ResolvedLimits = {
  max_gpu_equivalents: 1.0, // absent means one GPU, as the original read it (docs/config.md)
  max_gpu_slots_per_container: 1, // absent means 1
  allow_full_gpu: true, // the original assumed false when absent; its shipped config says true everywhere
  max_cpus: 16, // max_cpus, then cpus, then 16
  memory: "32g",
  memory_swap: "32g",
  shm_size: "16g",
  pids_limit: 4096,
  max_containers_per_user: 3,
  max_runtime_h: 24,
  idle_timeout_h: 0.5,
  gpu_hold_after_stop_h: 0.25,
  container_hold_after_stop_h: 0.5,
  gpu_limit: null,
  priority: null,
};

export const BUILTIN_POLICIES: ResolvedPolicies & { keepalive_file: string } = {
  gpu_idle_threshold: 5,
  cpu_idle_threshold: 2.0,
  network_idle_threshold: 1_048_576,
  idle_detection_window: 3,
  grace_period_m: 30,
  keepalive_max_duration_h: 24,
  sigterm_grace_s: 60,
  high_demand_threshold: 0.8,
  high_demand_idle_reduction: 0.5,
  created_container_timeout_m: 30,
  min_warning_lead_m: 5,
  idle_applies_to: "gpu",
  gpu_reset: "auto",
  keepalive_file: DEFAULT_KEEPALIVE_FILE,
};

export const BUILTIN_DEFAULT_GROUP = "student";

export const BUILTIN_APP = {
  gpu: { nvidia_smi: null as string | null, probe_timeout_s: 10, dcgm_exporter_url: null as string | null, expected: "auto" as boolean | "auto" },
  daemon: { listen: "127.0.0.1:9101", sample_interval_s: 30, pass_interval_s: 300 },
  notifications: {
    webhook_url: null as string | null,
    admin_webhook_url: null as string | null,
    webhook_timeout_s: 5,
    container_alert_file: "/workspace/.ds01-alerts",
  },
  monitoring: {
    infrastructure_containers: ["ds01-prometheus", "ds01-grafana", "ds01-alertmanager", "ds01-dcgm-exporter", "ds01-node-exporter"],
    infrastructure_label: "ds01.protected",
  },
  events: { jsonl_path: null as string | null },
  gpu_allocation: { slots_per_gpu: 1 },
  access_control: { admin_users: ["root"], admin_group: null as string | null },
  cgroups: { root: "/sys/fs/cgroup", unit_dir: "/run/systemd/system" },
  gate: {
    socket: "/var/run/docker.sock",
    socket_group: "docker",
    engine_socket: "/run/ds01/engine.sock",
    allowed_bind_roots: ["/home/{user}"],
    allowed_capabilities: [] as string[],
    allow_host_network: false,
    allow_buildkit: true,
    min_host_port: 1024,
    show_all_containers: false,
    allow_image_removal: false,
    max_create_body_kb: 1024,
    gpus_all: "cap" as "cap" | "refuse",
    gpu_wait_s: 180,
    max_connections_per_user: 1024,
    max_requests_per_s: 200,
    stall_timeout_s: 60,
    stall_min_rate_kib_s: 64,
  },
} as const;
