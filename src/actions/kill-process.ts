// Ends one process: SIGTERM, wait, SIGKILL, verify. Returns how it ended; throws if it survives.
import type { HostProcesses } from "../model/ports.js";

export interface KillOptions {
  termWaitMs: number;
  killWaitMs: number;
  pollMs: number;
  sleep: (ms: number) => Promise<void>;
}

async function waitGone(host: HostProcesses, pid: number, ms: number, o: KillOptions): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += o.pollMs) {
    if (!(await host.exists(pid))) return true;
    await o.sleep(o.pollMs);
  }
  return !(await host.exists(pid));
}

export async function endProcess(host: HostProcesses, pid: number, o: KillOptions): Promise<"SIGTERM" | "SIGKILL"> {
  await host.signal(pid, "SIGTERM");
  if (await waitGone(host, pid, o.termWaitMs, o)) return "SIGTERM";
  await host.signal(pid, "SIGKILL");
  if (await waitGone(host, pid, o.killWaitMs, o)) return "SIGKILL";
  throw new Error(`PID ${pid} survived SIGKILL`);
}
