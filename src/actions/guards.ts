// Act-time guards: the plan was made from a snapshot; before anything destructive, look again.
// Each guard returns null when the action may go ahead, or the reason it must not.
import { LABEL } from "../constants/labels.js";
import { canRunProcesses, type ContainerInfo } from "../model/container.js";
import type { ContainerRuntime, HostProcesses } from "../model/ports.js";

export interface GuardConfig {
  protectedLabel: string;
  infrastructurePrefixes: readonly string[];
}

function protectedReason(c: ContainerInfo, g: GuardConfig): string | null {
  if (c.labels[LABEL.monitoring] === "true") return "labelled ds01.monitoring=true";
  if (c.labels[g.protectedLabel] === "true") return `labelled ${g.protectedLabel}=true`;
  const prefix = g.infrastructurePrefixes.find((p) => c.name.startsWith(p));
  return prefix ? `name starts with ${prefix}` : null;
}

/** Stop: the container still exists, still runs the same run we judged, and is not protected. */
export async function guardStop(rt: ContainerRuntime, id: string, plannedStartedAt: number | null, g: GuardConfig): Promise<string | null> {
  const c = await rt.inspect(id);
  if (!c) return "container no longer exists";
  const p = protectedReason(c, g);
  if (p) return `protected: ${p}`;
  if (c.state !== "running") return `container is ${c.state}, not running`;
  if (plannedStartedAt !== null && c.startedAt !== plannedStartedAt) return "container was restarted since it was judged";
  return null;
}

/** Remove: the container exists, is not running, and is not protected. */
export async function guardRemove(rt: ContainerRuntime, id: string, g: GuardConfig): Promise<string | null> {
  const c = await rt.inspect(id);
  if (!c) return "container no longer exists";
  const p = protectedReason(c, g);
  if (p) return `protected: ${p}`;
  if (canRunProcesses(c.state)) return `container is ${c.state}`;
  return null;
}

/** Kill: the PID is on this host and its cgroup belongs to no running container (checked now, not at plan time). */
export async function guardKill(rt: ContainerRuntime, host: HostProcesses, pid: number): Promise<string | null> {
  if (!Number.isInteger(pid) || pid <= 1) return `refusing PID ${pid}`;
  if (!(await host.exists(pid))) return `PID ${pid} is not on this host`;
  const cid = await host.containerOf(pid);
  if (cid) {
    const c = await rt.inspect(cid);
    if (c && canRunProcesses(c.state)) return `PID ${pid} belongs to running container ${c.name}`;
  }
  return null;
}
