// PID → container attribution for every GPU process of an inventory.
import type { GpuInventory, GpuProcess } from "../model/gpu.js";
import type { HostProcesses, ProcessIdentity } from "../model/ports.js";
import { sameProcessName } from "./host-processes.js";

/**
 * Fills `containerId` and `notOnHost` for every process (each PID looked up once, even when it
 * appears on several GPUs). A PID missing from this host's /proc is `notOnHost` with no container:
 * nvidia-smi saw it through another PID namespace, and nothing may act on it.
 */
export async function attributeProcesses(inventory: GpuInventory, host: HostProcesses): Promise<GpuInventory> {
  const pids = new Set(inventory.gpus.flatMap((g) => g.processes.map((p) => p.pid)));
  const facts = new Map<number, { containerId: string | null; notOnHost: boolean; identity: ProcessIdentity | null }>();
  await Promise.all(
    [...pids].map(async (pid) => {
      const onHost = await host.exists(pid);
      facts.set(pid, { notOnHost: !onHost, containerId: onHost ? await host.containerOf(pid) : null, identity: onHost ? await host.identity(pid) : null });
    }),
  );
  // A name other than nvidia-smi's means the PID already belongs to another process: no identity.
  const fill = (p: GpuProcess): GpuProcess => {
    const f = facts.get(p.pid)!;
    const identity = f.identity && p.name !== null && !sameProcessName(p.name, f.identity) ? null : f.identity;
    return { ...p, ...f, identity };
  };
  return { ...inventory, gpus: inventory.gpus.map((g) => ({ ...g, processes: g.processes.map(fill) })) };
}
