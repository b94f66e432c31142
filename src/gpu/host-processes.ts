// The HostProcesses adapter over procfs: liveness, cgroup → container, signals.
import { open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError } from "../errors.js";
import type { HostProcesses, ProcessIdentity } from "../model/ports.js";
import { containerIdFromCgroup } from "./cgroup-container.js";

function checkPid(pid: number): void {
  // 0, negatives and 1 would signal process groups, everything, or init.
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new InvalidInputError(`invalid pid ${pid}`);
}

/** A /proc file, at most 64 KiB of it (cmdline can be long; nothing here needs more). */
async function readSmall(file: string): Promise<string> {
  const h = await open(file, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await h.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await h.close();
  }
}

/** Is `name` (nvidia-smi's process_name: a path or a bare name) the process `id` describes? */
export function sameProcessName(name: string, id: ProcessIdentity): boolean {
  const base = (s: string) => s.slice(s.lastIndexOf("/") + 1);
  const n = base(name.trim());
  return n !== "" && (n.slice(0, 15) === id.comm || n === base(id.argv0) || name.trim() === id.argv0);
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

  async identity(pid: number): Promise<ProcessIdentity | null> {
    if (!Number.isSafeInteger(pid) || pid <= 0) return null;
    const dir = join(this.procRoot, String(pid));
    try {
      const [stat, comm, cmdline] = await Promise.all([readSmall(join(dir, "stat")), readSmall(join(dir, "comm")), readSmall(join(dir, "cmdline")).catch(() => "")]);
      // comm may hold spaces and ")": the fields after the last ")" start with field 3 (state).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const startTicks = fields[22 - 3];
      if (!startTicks || !/^\d+$/.test(startTicks)) return null;
      return { startTicks, comm: comm.replace(/\n$/, ""), argv0: cmdline.split("\0")[0] ?? "" };
    } catch {
      return null;
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
