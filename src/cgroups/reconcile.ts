// Brings existing parents to the current config (after a reload, and at every daemon pass): each
// user's parent gets their current caps, or loses its limits when their aggregate was removed.
// A parent that does not exist is not made here (the next create prepares it).
import { errorText } from "../errors.js";
import type { ResolvedPolicy } from "../model/policy.js";
import { aggregateCaps } from "./caps.js";
import type { UserParent } from "./names.js";
import type { UserCgroups } from "./user-cgroups.js";

export interface ParentUpdate {
  parent: UserParent;
  /** Whether the parent exists (only existing ones are written). */
  exists: boolean;
  /** Limits the kernel would not lower yet (a running container holds more), kept as they were. */
  kept: string[];
  error: string | null;
}

export async function updateParents(cg: UserCgroups, users: Iterable<string>, policyFor: (user: string) => Pick<ResolvedPolicy, "group" | "aggregate">): Promise<ParentUpdate[]> {
  const out: ParentUpdate[] = [];
  for (const user of new Set(users)) {
    const p = policyFor(user);
    const parent = cg.parentOf(user, p.group);
    try {
      out.push({ parent, ...(await cg.update(parent, aggregateCaps(p.aggregate))), error: null });
    } catch (e) {
      out.push({ parent, exists: true, kept: [], error: errorText(e) });
    }
  }
  return out;
}
