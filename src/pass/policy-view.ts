// The planner's PolicyView over a loaded config: one resolution (src/config) for every code path,
// cached per owner for the pass. Owner "unknown" gets the strictest policy.
import { BUILTIN_POLICIES } from "../config/builtin-defaults.js";
import { containerHoldS, effectiveTimeouts, exemptionFor } from "../config/effective.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { resolvePolicy, strictestPolicy } from "../config/resolve-policy.js";
import type { ResolvedPolicies, ResolvedPolicy } from "../model/policy.js";
import type { PolicyView } from "../policy/plan-types.js";

export const UNKNOWN_OWNER = "unknown";

export function globalPolicies(config: LoadedConfig): ResolvedPolicies {
  const out: Record<string, unknown> = { ...BUILTIN_POLICIES };
  for (const [k, v] of Object.entries(config.policies)) if (v !== undefined && k in out) out[k] = v;
  return out as unknown as ResolvedPolicies;
}

export function createPolicyView(config: LoadedConfig, at: number): PolicyView {
  const cache = new Map<string, ResolvedPolicy>();
  const global = globalPolicies(config);
  return {
    forOwner(owner) {
      let p = cache.get(owner);
      if (!p) {
        p = owner === UNKNOWN_OWNER ? strictestPolicy(config, at) : resolvePolicy(config, owner, at);
        cache.set(owner, p);
      }
      return p;
    },
    global: () => global,
    effectiveTimeouts,
    exemptionFor,
    containerHoldS,
  };
}
