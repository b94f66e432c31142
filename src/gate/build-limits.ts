// `docker build` with the classic builder runs each RUN step in a container the engine makes
// itself, never through the gate's create, so the caller's limits would not reach it. They go
// into the build's own parameters instead (memory, memswap, cpuperiod/cpuquota, shmsize), by the
// same rules as a create (filled in when absent, refused when above), and the user's cgroup
// parent into `cgroupparent`, so builds count against the aggregate too. BuildKit builds
// (`version=2`) run their steps inside dockerd's own builder and do not read these parameters.
import { applyLimits } from "../allocation/container-limits.js";
import { admitCgroupParent, capsFor, type CgroupAdmission } from "../cgroups/admission.js";
import type { JsonObject } from "../docker/json-fields.js";
import type { ResolvedLimits } from "../model/policy.js";
import { queryValue, type Target } from "./target.js";

/** Build parameter → the HostConfig field it sets on the builder's containers. */
const PARAMS = { memory: "Memory", memswap: "MemorySwap", cpuperiod: "CpuPeriod", cpuquota: "CpuQuota", shmsize: "ShmSize" } as const;
const CFS_PERIOD_US = 100_000;

export interface BuildLimitsInput {
  target: Target;
  user: string;
  limits: ResolvedLimits | null;
  hostCpus: number;
  cgroups: CgroupAdmission | undefined;
}

/** The parameters to set on the build (strings, as the query carries them), or why it is refused. */
export async function buildLimits(i: BuildLimitsInput): Promise<{ ok: true; set: Record<string, string> } | { ok: false; reason: string }> {
  const hc: JsonObject = {};
  for (const [param, key] of Object.entries(PARAMS)) {
    const v = queryValue(i.target, param);
    if (v === undefined || v === "") continue;
    if (!/^-?\d{1,19}$/.test(v)) return { ok: false, reason: `docker build ${param}=${v} is not a whole number` };
    hc[key] = Number(v);
  }
  const caps = capsFor(i.cgroups, i.user);
  if (!caps.ok) return caps;
  if (i.limits) {
    const applied = applyLimits(hc, i.limits, i.hostCpus, caps.caps?.cpuCores ?? null);
    if (!applied.ok) return { ok: false, reason: `docker build: ${applied.reason}` };
  }
  const parent = await admitCgroupParent(hc, i.user, i.cgroups);
  if (!parent.ok) return parent;
  const set: Record<string, string> = {};
  // A build has no --cpus: the same share as a CFS quota over the default period.
  if (typeof hc.NanoCpus === "number") {
    set.cpuperiod = String(CFS_PERIOD_US);
    set.cpuquota = String(Math.round((hc.NanoCpus / 1e9) * CFS_PERIOD_US));
  }
  for (const [param, key] of Object.entries(PARAMS)) if (typeof hc[key] === "number" && !(param in set)) set[param] = String(hc[key]);
  if (parent.parent) set.cgroupparent = parent.parent;
  return { ok: true, set };
}
