// A CPU group (cgroup with the cpu controller) for a benchmark's processes, so a server and its
// clients compete the way systemd places them on a real server: the ds01 daemon in its unit's
// group, users' commands in theirs, each group one share of the CPU however many processes it
// holds. Without this, one server among 100 busy clients in the same group gets 1/101 of the CPU.
// cgroup v1 (a directory in the cpu hierarchy) or v2 (a directory with the cpu controller enabled
// in the root's subtree_control); null where neither can be made (not root, no cpu controller).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CpuGroup {
  path: string;
  /** Moves a process (all its threads) into the group. */
  join(pid: number): void;
  /** Removes the group; its processes must have exited. */
  remove(): void;
}

const ROOT = "/sys/fs/cgroup";

function v2Root(): string | null {
  if (!existsSync(join(ROOT, "cgroup.controllers"))) return null;
  if (!readFileSync(join(ROOT, "cgroup.controllers"), "utf8").split(/\s+/).includes("cpu")) return null;
  if (!readFileSync(join(ROOT, "cgroup.subtree_control"), "utf8").split(/\s+/).includes("cpu")) writeFileSync(join(ROOT, "cgroup.subtree_control"), "+cpu");
  return ROOT;
}

/** Makes the group `name` (directly under the cpu hierarchy's root), or says why not. */
export function makeCpuGroup(name: string): CpuGroup | { unavailable: string } {
  try {
    const v1 = join(ROOT, "cpu");
    const base = existsSync(join(v1, "cpu.shares")) ? v1 : v2Root();
    if (base === null) return { unavailable: "no cpu controller in /sys/fs/cgroup" };
    const path = join(base, name);
    mkdirSync(path, { recursive: true });
    return {
      path,
      join: (pid) => writeFileSync(join(path, "cgroup.procs"), String(pid)),
      remove: () => rmdirSync(path),
    };
  } catch (e) {
    return { unavailable: (e as Error).message };
  }
}
