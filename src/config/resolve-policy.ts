// THE policy resolution: built-in defaults → `defaults:` (limits) / `policies:` (policies) →
// the user's group → the user's override, merged key by key. A key set to null at any layer means
// "no limit / never" and wins over the layers below; an absent key inherits.
import { CONTAINER_TYPES } from "../model/container.js";
import type { ContainerTypePolicy, ResolvedAggregate, ResolvedLimits, ResolvedPolicies, ResolvedPolicy } from "../model/policy.js";
import { BUILTIN_LIMITS, BUILTIN_POLICIES } from "./builtin-defaults.js";
import { isActiveAt, toActive } from "./exemption-active.js";
import type { GroupConfig, LoadedConfig } from "./loaded-config.js";
import { nameForms } from "./sanitise-username.js";
import type { AggregateLayer, ContainerTypeLayer, GroupLayer, OverrideLayer } from "./schema.js";

type Loose = Record<string, unknown>;

/** For every key of `base`, the value of the last layer that defines it (undefined = not defined). */
function merge<T extends object>(base: T, ...layers: (object | null | undefined)[]): T {
  const out = { ...base } as Loose;
  for (const layer of layers) {
    if (!layer) continue;
    for (const k of Object.keys(base)) {
      const v = (layer as Loose)[k];
      if (v !== undefined) out[k] = v;
    }
  }
  return out as T;
}

/** Aggregate blocks merge key by key; `aggregate: null` at a layer clears what the layers below set. */
function mergeAggregate(...layers: (AggregateLayer | null | undefined)[]): Partial<NonNullable<AggregateLayer>> {
  let acc: Loose = {};
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (layer === null) acc = {};
    else for (const [k, v] of Object.entries(layer)) if (v !== undefined) acc[k] = v;
  }
  return acc as Partial<NonNullable<AggregateLayer>>;
}

function findOverride(config: LoadedConfig, user: string): OverrideLayer | null {
  for (const form of nameForms(user)) {
    const o = config.userOverrides.get(form);
    if (o) return o;
  }
  return null;
}

/** The first group, in YAML order, whose members (file ∪ inline) hold the raw or sanitised name. */
export function memberGroupOf(config: LoadedConfig, user: string): GroupConfig | null {
  const forms = nameForms(user);
  return config.groups.find((g) => forms.some((f) => g.members.includes(f))) ?? null;
}

function groupLayer(config: LoadedConfig, name: string): GroupLayer {
  return config.groups.find((g) => g.name === name)?.layer ?? {};
}

interface Placement {
  group: string;
  source: ResolvedPolicy["group_source"];
}

function place(config: LoadedConfig, user: string, override: OverrideLayer | null): Placement {
  if (override?.group !== undefined) return { group: override.group, source: "override" };
  const g = memberGroupOf(config, user);
  return g ? { group: g.name, source: "members" } : { group: config.defaultGroup, source: "default" };
}

function resolveWith(config: LoadedConfig, user: string, placement: Placement, override: OverrideLayer | null, at: number | null): ResolvedPolicy {
  const group = groupLayer(config, placement.group);
  const { aggregate: _d, ...defaults } = config.defaults;
  const { gpu_limit: _g, ...limitBase } = BUILTIN_LIMITS;
  const limitsOnly = merge(limitBase, defaults, group, override);
  const aggregate = mergeAggregate(config.defaults.aggregate, group.aggregate, override?.aggregate);
  const limits: ResolvedLimits = { ...limitsOnly, gpu_limit: aggregate.gpu_limit ?? null };
  const caps: ResolvedAggregate | null =
    Object.keys(aggregate).length === 0
      ? null
      : { cpu_quota: aggregate.cpu_quota ?? null, memory_max: aggregate.memory_max ?? null, memory_high: aggregate.memory_high ?? null, tasks_max: aggregate.tasks_max ?? null };

  const policies: ResolvedPolicies = merge(BUILTIN_POLICIES, config.policies, group.policies, override?.policies);

  const container_types: Record<string, ContainerTypePolicy> = {};
  const typeNames = new Set<string>([...CONTAINER_TYPES, ...config.containerTypes.keys(), ...Object.keys(group.container_types ?? {}), ...Object.keys(override?.container_types ?? {})]);
  for (const type of typeNames) {
    const layers = [config.containerTypes.get(type), group.container_types?.[type], override?.container_types?.[type]].filter(Boolean) as ContainerTypeLayer[];
    const block = layers.length ? merge({ idle_timeout_h: undefined, max_runtime_h: undefined, sigterm_grace_s: undefined } as Partial<ContainerTypeLayer>, ...layers) : null;
    const sigterm = block?.sigterm_grace_s ?? policies.sigterm_grace_s;
    if (type === "infrastructure") {
      container_types[type] = { idle_timeout_h: null, max_runtime_h: null, sigterm_grace_s: sigterm };
      continue;
    }
    container_types[type] = {
      idle_timeout_h: block && block.idle_timeout_h !== undefined ? block.idle_timeout_h : limits.idle_timeout_h,
      max_runtime_h: block && block.max_runtime_h !== undefined ? block.max_runtime_h : limits.max_runtime_h,
      sigterm_grace_s: sigterm,
    };
  }

  const exemptions = at === null ? [] : config.exemptions.filter((e) => e.username === user && isActiveAt(e, at)).map(toActive);

  return { user, group: placement.group, group_source: placement.source, limits, aggregate: caps, policies, container_types, exemptions };
}

/**
 * The policy that applies to `user` at `at` (epoch ms; only exemptions depend on it).
 * Group: an override's `group:`, else the first group in YAML order listing the user (raw or sanitised
 * name), else `default_group`.
 */
export function resolvePolicy(config: LoadedConfig, user: string, at: number): ResolvedPolicy {
  const override = findOverride(config, user);
  return resolveWith(config, user, place(config, user, override), override, at);
}

const STRICTEST_LIMITS = ["max_runtime_h", "idle_timeout_h", "gpu_hold_after_stop_h", "container_hold_after_stop_h"] as const;
const STRICTEST_POLICIES = ["grace_period_m", "keepalive_max_duration_h", "created_container_timeout_m"] as const;

/** Minimum over values where null is +infinity ("never"). */
function minFinite(values: readonly (number | null)[]): number | null {
  const finite = values.filter((v): v is number => v !== null);
  return finite.length ? Math.min(...finite) : null;
}

/**
 * The policy for containers whose owner is unknown: the default group's policy, with every timeout and
 * hold (idle, runtime, GPU hold, container hold, grace, keep-alive cap, created timeout, and each
 * container type's idle/runtime) set to the smallest finite value over `defaults` and all groups.
 * User overrides do not count. No exemptions. Reported as group "strictest".
 */
export function strictestPolicy(config: LoadedConfig, _at: number): ResolvedPolicy {
  const base = resolveWith(config, "unknown", { group: config.defaultGroup, source: "default" }, null, null);
  const all = [
    base,
    ...config.groups.map((g) => resolveWith(config, "unknown", { group: g.name, source: "members" }, null, null)),
    // `defaults` alone, as if a group with an empty block:
    resolveWith(config, "unknown", { group: "\u0000defaults", source: "default" }, null, null),
  ];
  const limits = { ...base.limits };
  for (const k of STRICTEST_LIMITS) limits[k] = minFinite(all.map((p) => p.limits[k]));
  const policies = { ...base.policies };
  for (const k of STRICTEST_POLICIES) policies[k] = minFinite(all.map((p) => p.policies[k])) as never;
  const container_types: Record<string, ContainerTypePolicy> = {};
  for (const [type, ct] of Object.entries(base.container_types)) {
    container_types[type] = {
      idle_timeout_h: minFinite(all.map((p) => p.container_types[type]?.idle_timeout_h ?? null)),
      max_runtime_h: minFinite(all.map((p) => p.container_types[type]?.max_runtime_h ?? null)),
      sigterm_grace_s: ct.sigterm_grace_s,
    };
  }
  return { ...base, group: "strictest", limits, policies, container_types, exemptions: [] };
}
