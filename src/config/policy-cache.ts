// Resolved policies kept per loaded config, for the gate: every create asks for its caller's policy
// several times (limits, the aggregate cap, the cgroup parent, the allocation), and resolving one
// merges every layer and container type afresh — measured as the largest single source of garbage
// on a create's path (~45 KB each), and with it of the young-generation pauses that set the tail.
// A policy depends only on the config object (a reload is a new object, so its entries go with the
// old one) and on the time through its exemptions, which can only expire: an entry is kept until
// the first of its exemptions expires (and used only from the time it was resolved for: a clock
// stepped back may fall before an expiry). Entries are frozen, so no caller can change another's.
import { resolvePolicy } from "./resolve-policy.js";
import type { LoadedConfig } from "./loaded-config.js";
import type { ResolvedPolicy } from "../model/policy.js";

/** Users kept per config; beyond it the oldest entry goes (a directory with many users, most idle). */
const MAX_USERS = 1024;

interface Entry {
  policy: ResolvedPolicy;
  /** The time it was resolved for: before it, an exemption expired since may still have held. */
  from: number;
  /** Epoch ms from which it may differ (an exemption expires), Infinity: never. */
  until: number;
}

const byConfig = new WeakMap<LoadedConfig, Map<string, Entry>>();

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** resolvePolicy(config, user, at), from the cache while it still holds; the result is frozen. */
export function cachedPolicy(config: LoadedConfig, user: string, at: number): ResolvedPolicy {
  let users = byConfig.get(config);
  if (!users) byConfig.set(config, (users = new Map()));
  const hit = users.get(user);
  if (hit && hit.from <= at && at < hit.until) return hit.policy;
  const policy = deepFreeze(resolvePolicy(config, user, at));
  let until = Infinity;
  for (const e of config.exemptions) if (e.username === user && e.expiresAt !== null && e.expiresAt > at) until = Math.min(until, e.expiresAt);
  users.delete(user);
  if (users.size >= MAX_USERS) users.delete(users.keys().next().value!);
  users.set(user, { policy, from: at, until });
  return policy;
}
