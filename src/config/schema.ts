// Zod schemas of every config file section. Built twice: strict (unknown keys reported, as warnings)
// and lenient (unknown keys dropped) — the lenient result is used once the strict pass found no error.
import { z } from "zod";
import { absolutePath, bool, boolOrAuto, cpuQuota, duration, listenAddress, nameList, num, oneOf, requiredDuration, requiredNum, requiredStr, size, str, url } from "./fields.js";

/**
 * Upper bounds (seconds) of the daemon's and the probes' own durations, tighter than the general
 * year: a timeout or interval beyond them would leave ds01 waiting on one call or blind for hours.
 */
export const LIMIT_S = {
  probeTimeout: 300,
  sampleInterval: 3600,
  passInterval: 86_400,
  webhookTimeout: 120,
  sigtermGrace: 3600,
} as const;

const mappingError = (iss: { code: string }) => (iss.code === "invalid_type" ? "expected a mapping (key: value lines)" : undefined);

export function buildSchemas(strict: boolean) {
  const obj = <S extends z.ZodRawShape>(shape: S) =>
    (strict ? z.strictObject(shape, { error: mappingError }) : z.object(shape, { error: mappingError })) as unknown as z.ZodObject<S>;
  /** A section that may be written as an empty key (`gpu_allocation:` → null) meaning "all defaults". */
  const section = <S extends z.ZodRawShape>(shape: S) => z.preprocess((v) => (v === null ? {} : v), obj(shape));
  const record = <T extends z.ZodType>(value: T) => z.record(z.string(), value, { error: mappingError });
  const any = z.unknown().optional();

  const limitShape = {
    max_gpu_equivalents: num({ nullable: true, min: 0, what: "a number of GPU-equivalents" }).optional(),
    max_gpu_slots_per_container: num({ nullable: true, integer: true, min: 0 }).optional(),
    allow_full_gpu: bool().optional(),
    max_cpus: num({ nullable: true, positive: true, what: "a number of CPU cores" }).optional(),
    memory: size().optional(),
    memory_swap: size().optional(),
    shm_size: size().optional(),
    pids_limit: num({ nullable: true, integer: true, positive: true }).optional(),
    max_containers_per_user: num({ nullable: true, integer: true, min: 0 }).optional(),
    max_runtime_h: duration("h", { nullable: true }).optional(),
    idle_timeout_h: duration("h", { nullable: true }).optional(),
    gpu_hold_after_stop_h: duration("h", { nullable: true }).optional(),
    container_hold_after_stop_h: duration("h", { nullable: true }).optional(),
    max_tasks: num({ nullable: true, integer: true, positive: true }).optional(),
    priority: num({ nullable: true, integer: true }).optional(),
  };

  const aggregate = obj({
    cpu_quota: cpuQuota().optional(),
    memory_max: size().optional(),
    memory_high: size().optional(),
    tasks_max: num({ nullable: true, integer: true, positive: true }).optional(),
    gpu_limit: num({ nullable: true, min: 0, what: "a number of GPU-equivalents" }).optional(),
  }).nullable();

  const policies = section({
    gpu_idle_threshold: requiredNum({ min: 0, max: 100, what: "a GPU utilisation percentage" }).optional(),
    cpu_idle_threshold: requiredNum({ min: 0, what: "a CPU percentage (of one core)" }).optional(),
    network_idle_threshold: requiredNum({ min: 0, what: "a number of bytes" }).optional(),
    idle_detection_window: requiredNum({ integer: true, min: 1, max: 10_000 }).optional(),
    grace_period_m: requiredDuration("m").optional(),
    keepalive_max_duration_h: duration("h", { nullable: true }).optional(),
    sigterm_grace_s: requiredDuration("s", { max: LIMIT_S.sigtermGrace }).optional(),
    high_demand_threshold: num({ nullable: true, min: 0, what: "a fraction (0.8 = 80 %)" }).optional(),
    high_demand_idle_reduction: requiredNum({ positive: true, max: 1, what: "a factor between 0 and 1" }).optional(),
    created_container_timeout_m: duration("m", { nullable: true }).optional(),
    gpu_hold_after_manual_stop_m: duration("m", { nullable: true }).optional(),
    min_warning_lead_m: requiredDuration("m").optional(),
    idle_applies_to: oneOf(["gpu", "all"] as const).optional(),
    gpu_reset: oneOf(["auto", "never"] as const).optional(),
    keepalive_file: absolutePath({ nullable: false }).optional(),
  });

  const containerType = section({
    idle_timeout_h: duration("h", { nullable: true }).optional(),
    max_runtime_h: duration("h", { nullable: true }).optional(),
    sigterm_grace_s: requiredDuration("s", { max: LIMIT_S.sigtermGrace }).optional(),
    container_hold_after_stop_h: duration("h", { nullable: true }).optional(),
    description: any,
  });
  const containerTypes = z.preprocess((v) => (v === null ? {} : v), record(containerType));

  const defaults = section({ ...limitShape, aggregate: aggregate.optional() });

  const group = section({
    ...limitShape,
    aggregate: aggregate.optional(),
    policies: policies.optional(),
    container_types: containerTypes.optional(),
    members: nameList().optional(),
    description: any,
  });

  const override = section({
    ...limitShape,
    aggregate: aggregate.optional(),
    policies: policies.optional(),
    container_types: containerTypes.optional(),
    group: requiredStr().optional(),
    description: any,
    reason: any,
  });
  const overrides = z.preprocess((v) => (v === null ? {} : v), record(override));

  const gpuAllocation = section({
    slots_per_gpu: requiredNum({ integer: true, positive: true }).optional(),
    strategy: any,
    allocation_method: any,
    enable_mig: any,
    mig_profile: any,
    mig_gpus: any,
    respect_reservations: any,
  });

  const email = obj({
    smtp_host: requiredStr(),
    smtp_port: requiredNum({ integer: true, positive: true, max: 65535 }).optional(),
    from: requiredStr(),
    admin_to: nameList().optional(),
  }).nullable();

  const top = obj({
    default_group: requiredStr().optional(),
    defaults: defaults.optional(),
    groups: z.preprocess((v) => (v === null ? {} : v), record(group)).optional(),
    user_overrides: overrides.optional(),
    gpu_allocation: gpuAllocation.optional(),
    policies: policies.optional(),
    container_types: containerTypes.optional(),
    enforcement: any,
    access_control: section({
      admin_users: nameList().optional(),
      admin_group: str({ nullable: true, nonEmpty: true }).optional(),
      wrapper: any, // the original's docker-wrapper switches; the gate replaces the wrapper
    }).optional(),
    bare_metal_access: any,
    monitoring: section({
      infrastructure_containers: nameList().optional(),
      infrastructure_label: requiredStr().optional(),
    }).optional(),
    gpu: section({
      nvidia_smi: str({ nullable: true, nonEmpty: true }).optional(),
      probe_timeout_s: requiredDuration("s", { positive: true, max: LIMIT_S.probeTimeout }).optional(),
      dcgm_exporter_url: url({ nullable: true }).optional(),
      expected: boolOrAuto().optional(),
    }).optional(),
    daemon: section({
      listen: listenAddress().optional(),
      sample_interval_s: requiredDuration("s", { positive: true, max: LIMIT_S.sampleInterval }).optional(),
      pass_interval_s: requiredDuration("s", { positive: true, max: LIMIT_S.passInterval }).optional(),
    }).optional(),
    notifications: section({
      webhook_url: url({ nullable: true }).optional(),
      admin_webhook_url: url({ nullable: true }).optional(),
      webhook_timeout_s: requiredDuration("s", { positive: true, max: LIMIT_S.webhookTimeout }).optional(),
      email: email.optional(),
      container_alert_file: absolutePath({ nullable: false }).optional(),
    }).optional(),
    events: section({ jsonl_path: absolutePath({ nullable: true }).optional() }).optional(),
    gate: section({
      socket: absolutePath({ nullable: false }).optional(),
      socket_group: requiredStr().optional(),
      engine_socket: absolutePath({ nullable: false }).optional(),
      allowed_bind_roots: nameList().optional(),
      allowed_capabilities: nameList().optional(),
      allow_host_network: bool().optional(),
      allow_buildkit: bool().optional(),
      min_host_port: requiredNum({ integer: true, min: 0, max: 65535, what: "a port number" }).optional(),
      show_all_containers: bool().optional(),
      allow_image_removal: bool().optional(),
      max_create_body_kb: requiredNum({ integer: true, positive: true, max: 65536, what: "a size in KiB" }).optional(),
      gpus_all: oneOf(["cap", "refuse"] as const).optional(),
      gpu_wait_s: requiredNum({ integer: true, min: 0, max: 3600, what: "a number of seconds" }).optional(),
      max_connections_per_user: requiredNum({ integer: true, min: 0, max: 65536, what: "a number of connections" }).optional(),
      max_requests_per_s: requiredNum({ integer: true, min: 0, max: 100000, what: "requests per second" }).optional(),
      stall_timeout_s: requiredNum({ integer: true, min: 0, max: 3600, what: "a number of seconds" }).optional(),
      stall_min_rate_kib_s: requiredNum({ integer: true, min: 0, max: 1048576, what: "KiB per second" }).optional(),
    }).optional(),
    cgroups: section({
      root: absolutePath({ nullable: false }).optional(),
      unit_dir: absolutePath({ nullable: false }).optional(),
    }).optional(),
  });

  return { top, overrides };
}

const lenient = buildSchemas(false);
export type RawConfig = z.output<typeof lenient.top>;
export type RawOverrides = z.output<typeof lenient.overrides>;
export type LimitsLayer = NonNullable<RawConfig["defaults"]>;
export type GroupLayer = NonNullable<RawConfig["groups"]>[string];
export type OverrideLayer = RawOverrides[string];
export type PoliciesLayer = NonNullable<RawConfig["policies"]>;
export type ContainerTypeLayer = NonNullable<RawConfig["container_types"]>[string];
export type AggregateLayer = NonNullable<LimitsLayer["aggregate"]>;

export const LENIENT = lenient;
export const STRICT = buildSchemas(true);
