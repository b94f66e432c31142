// The aggregate step of container admission, shared by the gate (any client's create) and
// `ds01 create`: when the owner's policy caps their containers together (aggregate cpu_quota,
// memory_max or tasks_max), their cgroup parent is prepared with those limits and set as the
// container's HostConfig.CgroupParent. A parent that cannot be prepared refuses the create: a
// container made without the cap would be free of it for its whole life.
import { TransientError, errorText } from "../errors.js";
import { CgroupError } from "./user-cgroups.js";
import { setField, type JsonObject } from "../docker/json-fields.js";
import type { ResolvedPolicy } from "../model/policy.js";
import { aggregateCaps, type AggregateCaps } from "./caps.js";

export interface CgroupAdmission {
  /** The owner's group and aggregate block, from their resolved policy. */
  policyFor(user: string): Pick<ResolvedPolicy, "group" | "aggregate">;
  /** Makes the parent with these limits; resolves to the HostConfig.CgroupParent value. */
  prepare(user: string, group: string, caps: AggregateCaps): Promise<string>;
}

export type CapsOutcome = { ok: true; caps: AggregateCaps | null } | { ok: false; reason: string };

export function capsFor(adm: CgroupAdmission | undefined, user: string): CapsOutcome {
  if (!adm) return { ok: true, caps: null };
  try {
    return { ok: true, caps: aggregateCaps(adm.policyFor(user).aggregate) };
  } catch (e) {
    return { ok: false, reason: `your aggregate limits cannot be read (${errorText(e)}); ask an admin` };
  }
}

/** Before a start of the owner's container that has a parent: prepares it again. The refusal, or null. */
export async function prepareForStart(user: string, adm: CgroupAdmission | undefined): Promise<string | null> {
  const r = await admitCgroupParent({}, user, adm);
  return r.ok ? null : r.reason.replace("nothing was created", "the container was not started");
}

/** Sets the parent on `hc` (a HostConfig); returns the parent (null: no aggregate) or the refusal. */
export async function admitCgroupParent(hc: JsonObject, user: string, adm: CgroupAdmission | undefined): Promise<{ ok: true; parent: string | null } | { ok: false; reason: string }> {
  const c = capsFor(adm, user);
  if (!c.ok) return c;
  if (!adm || c.caps === null) return { ok: true, parent: null };
  try {
    const parent = await adm.prepare(user, adm.policyFor(user).group, c.caps);
    setField(hc, "CgroupParent", parent);
    return { ok: true, parent };
  } catch (e) {
    // A parent that could not be written, or a cgroup setup the engine did not say: refused. Anything
    // else (the engine's socket not answering at all) goes to the caller, which says so as such.
    if (!(e instanceof CgroupError || e instanceof TransientError)) throw e;
    return { ok: false, reason: `your per-user limits (aggregate cpu_quota/memory_max/tasks_max) could not be put in place, so nothing was created: ${errorText(e)}; try again, or ask an admin` };
  }
}
