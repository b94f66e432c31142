// Ends one process: SIGTERM, wait, SIGKILL, verify. Returns how it ended; throws if it survives.
import type { HostProcesses, ProcessIdentity } from "../model/ports.js";

/** The process the kill is meant for, as first attributed. */
export interface ExpectedProcess {
  startTicks: string;
  comm: string;
}

/** Null when `pid` is still that process; otherwise why not (gone, or the PID now names another). */
export function sameProcess(now: ProcessIdentity | null, expected: ExpectedProcess, pid: number): string | null {
  if (now === null) return `PID ${pid} is gone or unreadable`;
  if (now.startTicks !== expected.startTicks || now.comm !== expected.comm) {
    return `PID ${pid} was reused: now ${now.comm} started at tick ${now.startTicks}, not ${expected.comm} at ${expected.startTicks}`;
  }
  return null;
}

export class PidReusedError extends Error {
  override readonly name = "PidReusedError";
}

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

/** Re-reads the PID's identity right before a signal; a PID that changed hands is never signalled. */
async function signalIfSame(host: HostProcesses, pid: number, expected: ExpectedProcess, sig: "SIGTERM" | "SIGKILL"): Promise<boolean> {
  const why = sameProcess(await host.identity(pid), expected, pid);
  if (why !== null) {
    if (!(await host.exists(pid))) return false; // it ended on its own
    throw new PidReusedError(why);
  }
  await host.signal(pid, sig);
  return true;
}

export async function endProcess(host: HostProcesses, pid: number, expected: ExpectedProcess, o: KillOptions): Promise<"SIGTERM" | "SIGKILL"> {
  if (!(await signalIfSame(host, pid, expected, "SIGTERM"))) return "SIGTERM";
  if (await waitGone(host, pid, o.termWaitMs, o)) return "SIGTERM";
  if (!(await signalIfSame(host, pid, expected, "SIGKILL"))) return "SIGKILL";
  if (await waitGone(host, pid, o.killWaitMs, o)) return "SIGKILL";
  throw new Error(`PID ${pid} survived SIGKILL`);
}
