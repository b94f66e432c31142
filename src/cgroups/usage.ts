// What a user's parent has used, from the kernel's own counters, and its OOM-kill counters.
//   v1: cpuacct.usage (ns), memory.usage_in_bytes; OOM kills from memory.oom_control `oom_kill`,
//       which v1 counts in the cgroup of the process killed (the container's, below the parent):
//       the parent's and each child's counters are read.
//   v2: cpu.stat usage_usec, memory.current; memory.events `oom_kill` counts the parent's whole
//       subtree, so the parent's alone is read.
import { join } from "node:path/posix";
import type { CgroupFs } from "./cgroup-fs.js";
import type { UserParent } from "./names.js";
import type { UserCgroups } from "./user-cgroups.js";

export interface ParentUsage {
  cpuSeconds: number | null;
  memoryBytes: number | null;
}

/** "key value" lines (cpu.stat, memory.events, memory.oom_control) → map; malformed lines skipped. */
export function parseKeyedLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\S+)\s+(-?\d+)\s*$/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** A file holding one number; null when missing or not a number (unknown, never 0). */
export function parseSingleNumber(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

export async function parentUsage(cg: UserCgroups, parent: Pick<UserParent, "dir">): Promise<ParentUsage | null> {
  const { fs, setup } = cg.opts;
  if ((await fs.subdirs(cg.dir(parent, "memory"))) === null && (await fs.subdirs(cg.dir(parent, "cpuacct"))) === null) return null;
  if (setup.version === 1) {
    const ns = parseSingleNumber(await fs.read(join(cg.dir(parent, "cpuacct"), "cpuacct.usage")));
    const mem = parseSingleNumber(await fs.read(join(cg.dir(parent, "memory"), "memory.usage_in_bytes")));
    return { cpuSeconds: ns === null ? null : ns / 1e9, memoryBytes: mem };
  }
  const d = cg.dir(parent, null);
  const stat = await fs.read(join(d, "cpu.stat"));
  const usec = stat === null ? undefined : parseKeyedLines(stat).get("usage_usec");
  return { cpuSeconds: usec === undefined ? null : usec / 1e6, memoryBytes: parseSingleNumber(await fs.read(join(d, "memory.current"))) };
}

async function oomKillOf(fs: CgroupFs, file: string): Promise<number | null> {
  const text = await fs.read(file);
  return text === null ? null : (parseKeyedLines(text).get("oom_kill") ?? null);
}

/**
 * Each OOM-kill counter that covers the parent, keyed by the cgroup's path relative to the
 * parent ("" = the parent itself, else a child such as a container's id). Empty when the parent
 * does not exist.
 */
export async function oomKillCounters(cg: UserCgroups, parent: Pick<UserParent, "dir">): Promise<Map<string, number>> {
  const { fs, setup } = cg.opts;
  const out = new Map<string, number>();
  const d = cg.dir(parent, "memory");
  if (setup.version === 2) {
    const n = await oomKillOf(fs, join(d, "memory.events"));
    if (n !== null) out.set("", n);
    return out;
  }
  const walk = async (rel: string, depth: number): Promise<void> => {
    const here = rel === "" ? d : join(d, rel);
    const n = await oomKillOf(fs, join(here, "memory.oom_control"));
    if (n !== null) out.set(rel, n);
    if (depth >= 4) return;
    for (const child of (await fs.subdirs(here)) ?? []) await walk(rel === "" ? child : `${rel}/${child}`, depth + 1);
  };
  await walk("", 0);
  return out;
}
