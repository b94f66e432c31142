// Legacy key names the original still read, accepted with a deprecation warning.
import type { PathSegment } from "./problems.js";
import type { YamlSource } from "./yaml-file.js";

/** canonical key → legacy names, in the order the original tried them. */
const LIMIT_ALIASES: Record<string, readonly string[]> = {
  max_gpu_equivalents: ["max_gpu_slots", "max_gpus_per_user", "max_mig_instances"],
  max_gpu_slots_per_container: ["max_gpus_per_container", "max_mig_per_container"],
  max_cpus: ["cpus"],
};
const GRACE_ALIASES: Record<string, readonly string[]> = { sigterm_grace_s: ["sigterm_grace_seconds"] };
const GPU_ALLOCATION_ALIASES: Record<string, readonly string[]> = { slots_per_gpu: ["mig_instances_per_gpu"] };

const ALL: Record<string, readonly string[]> = { ...LIMIT_ALIASES, ...GRACE_ALIASES, ...GPU_ALLOCATION_ALIASES };

/** For positions: the legacy spellings of a canonical key. */
export function legacyNamesOf(key: string): readonly string[] {
  return ALL[key] ?? [];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Renames legacy keys in `block` (in place) and warns about each one. */
function renameIn(block: unknown, path: readonly PathSegment[], table: Record<string, readonly string[]>, src: YamlSource): void {
  if (!isObj(block)) return;
  for (const [canonical, legacy] of Object.entries(table)) {
    for (const old of legacy) {
      if (!(old in block)) continue;
      if (canonical in block) {
        src.report("warning", [...path, old], `legacy key "${old}" ignored: "${canonical}" is set`, { key: true });
      } else {
        src.report("warning", [...path, old], `legacy key "${old}" is deprecated; rename it to "${canonical}"`, { key: true });
        block[canonical] = block[old];
      }
      delete block[old];
    }
  }
}

function renameInLimitsBlock(block: unknown, path: readonly PathSegment[], src: YamlSource): void {
  renameIn(block, path, LIMIT_ALIASES, src);
  if (!isObj(block)) return;
  if (isObj(block.policies)) renameIn(block.policies, [...path, "policies"], GRACE_ALIASES, src);
  renameInContainerTypes(block.container_types, [...path, "container_types"], src);
}

function renameInContainerTypes(types: unknown, path: readonly PathSegment[], src: YamlSource): void {
  if (!isObj(types)) return;
  for (const [name, block] of Object.entries(types)) renameIn(block, [...path, name], GRACE_ALIASES, src);
}

/** resource-limits.yaml, as a plain value. */
export function normaliseResourceLimits(root: unknown, src: YamlSource): void {
  if (!isObj(root)) return;
  renameInLimitsBlock(root.defaults, ["defaults"], src);
  if (isObj(root.groups)) for (const [g, block] of Object.entries(root.groups)) renameInLimitsBlock(block, ["groups", g], src);
  normaliseOverrides(root.user_overrides, ["user_overrides"], src);
  renameIn(root.policies, ["policies"], GRACE_ALIASES, src);
  renameInContainerTypes(root.container_types, ["container_types"], src);
  renameIn(root.gpu_allocation, ["gpu_allocation"], GPU_ALLOCATION_ALIASES, src);
}

/** user-overrides.yaml (or the inline `user_overrides:` section). */
export function normaliseOverrides(overrides: unknown, path: readonly PathSegment[], src: YamlSource): void {
  if (!isObj(overrides)) return;
  for (const [user, block] of Object.entries(overrides)) renameInLimitsBlock(block, [...path, user], src);
}
