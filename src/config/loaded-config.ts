// The typed result of loading a config directory. Layers are kept as written (partial); resolve-policy.ts
// merges them for one user.
import type { Exemption } from "./exemptions.js";
import type { ConfigProblem } from "./problems.js";
import type { ContainerTypeLayer, GroupLayer, LimitsLayer, OverrideLayer, PoliciesLayer } from "./schema.js";

export const CONFIG_FILES = {
  resourceLimits: "resource-limits.yaml",
  userOverrides: "user-overrides.yaml",
  lifecycleExemptions: "lifecycle-exemptions.yaml",
  groupsDir: "groups",
} as const;

export interface GroupConfig {
  name: string;
  layer: GroupLayer;
  /** Union of groups/<name>.members and the inline `members:` list, in that order, without repeats. */
  members: readonly string[];
  membersFile: string | null;
}

/** The Docker API gate's settings (`gate:`). `{user}` in a bind root stands for the caller's login name. */
export interface GateConfig {
  socket: string;
  socket_group: string;
  engine_socket: string;
  allowed_bind_roots: string[];
  allowed_capabilities: string[];
  allow_host_network: boolean;
  /** BuildKit builds (sessions, version=2): their steps run outside the caller's limits and their Dockerfile is not read. */
  allow_buildkit: boolean;
  /** The lowest host port a non-admin may publish (-p); 0 = any. Below 1024 are the host's services' ports. */
  min_host_port: number;
  show_all_containers: boolean;
  allow_image_removal: boolean;
  max_create_body_kb: number;
  /** What `--gpus all` means for a non-admin: their per-container cap, or a refusal. */
  gpus_all: "cap" | "refuse";
  /** How long a GPU create that fits its quota waits for a free slot; 0 = refuse at once. */
  gpu_wait_s: number;
  /** Connections one non-admin user may hold open at once (streams count); 0 = no cap. */
  max_connections_per_user: number;
  /** One non-admin user's requests per second (bursts of twice that pass); over it they wait, then 429. 0 = no limit. */
  max_requests_per_s: number;
  /** How long a copy or export (which locks its container in dockerd) may wait on its client before it is cut off; 0 = never. */
  stall_timeout_s: number;
  /** The least rate (KiB/s) such a stream's client must keep up while the stream waits on it; 0 = only the timeout. */
  stall_min_rate_kib_s: number;
}

export interface LoadedConfig {
  dir: string;
  files: { resourceLimits: string; userOverrides: string; lifecycleExemptions: string; groupsDir: string };
  defaultGroup: string;
  defaults: LimitsLayer;
  /** Global `policies:` as written. */
  policies: PoliciesLayer;
  /** In YAML order: the first group whose members contain a user is that user's group. */
  groups: readonly GroupConfig[];
  /** Keyed as written (raw or sanitised user name); user-overrides.yaml entries replace inline ones. */
  userOverrides: ReadonlyMap<string, OverrideLayer>;
  containerTypes: ReadonlyMap<string, ContainerTypeLayer>;
  /** Every well-formed entry, expired ones included; resolvePolicy picks the active ones. */
  exemptions: readonly Exemption[];
  gpuAllocation: { slots_per_gpu: number };
  /** expected: whether this host should have working GPUs (auto: when any container asks for one). */
  gpu: { nvidia_smi: string | null; probe_timeout_s: number; dcgm_exporter_url: string | null; expected: boolean | "auto" };
  daemon: { listen: string; sample_interval_s: number; pass_interval_s: number };
  notifications: {
    webhook_url: string | null;
    admin_webhook_url: string | null;
    webhook_timeout_s: number;
    email: { smtp_host: string; smtp_port: number; from: string; admin_to: string[] } | null;
    container_alert_file: string;
  };
  monitoring: { infrastructure_containers: string[]; infrastructure_label: string };
  events: { jsonl_path: string | null };
  accessControl: { admin_users: string[]; admin_group: string | null };
  gate: GateConfig;
  /** Where users' aggregate-limit parents live: the cgroup mount, and the slice unit directory (systemd driver). */
  cgroups: { root: string; unit_dir: string };
  /** Unknown keys, legacy aliases and other non-fatal findings. */
  warnings: readonly ConfigProblem[];
}
