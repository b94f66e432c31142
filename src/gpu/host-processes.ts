// The HostProcesses adapter over procfs: liveness, cgroup → container, signals.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError } from "../errors.js";
import type { HostProcesses } from "../model/ports.js";
import { containerIdFromCgroup } from "./cgroup-container.js";

function checkPid(pid: number): void {
  // 0, negatives and 1 would signal process groups, everything, or init.
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new InvalidInputError(`invalid pid ${pid}`);
}

export class ProcHostProcesses implements HostProcesses {
  /** `procRoot` is injectable so unit tests read a fake tree of cgroup files. */
  constructor(private readonly procRoot: string = "/proc") {}

  async exists(pid: number): Promise<boolean> {
    if (!Number.isSafeInteger(pid) || pid <= 0) return false;
    try {
      return (await stat(join(this.procRoot, String(pid)))).isDirectory();
    } catch {
      return false;
    }
  }

  async containerOf(pid: number): Promise<string | null> {
    if (!Number.isSafeInteger(pid) || pid <= 0) return null;
    try {
      return containerIdFromCgroup(await readFile(join(this.procRoot, String(pid), "cgroup"), "utf8"));
    } catch {
      return null; // gone, or unreadable: not attributable
    }
  }

  async signal(pid: number, sig: "SIGTERM" | "SIGKILL"): Promise<void> {
    checkPid(pid);
    try {
      process.kill(pid, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ESRCH") return; // already gone
      throw e;
    }
  }
}
