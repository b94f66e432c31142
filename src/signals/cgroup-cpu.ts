// Cumulative CPU time of a container from its cgroup: v1 `cpuacct.usage` (ns) or v2 `cpu.stat`
// `usage_usec`, for Docker's cgroupfs (`docker/<id>`) and systemd (`system.slice/docker-<id>.scope`)
// drivers and any cgroup parent. The path comes from /proc/<pid>/cgroup of the container's init
// process; when that can't be read, the usual Docker paths for the container id are tried.
import { join } from "node:path";
import type { HostPaths } from "./host-paths.js";
import { asyncHostReads, type HostReads } from "./host-reads.js";

export interface CgroupEntry {
  controllers: string[]; // [] for the v2 line "0::/path"
  path: string;
}

/** Lines of /proc/<pid>/cgroup: `hierarchy-id:controller,list:/path`. */
export function parseProcCgroup(text: string): CgroupEntry[] {
  const out: CgroupEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (!m) continue;
    out.push({ controllers: m[2] ? m[2].split(",") : [], path: m[3]! });
  }
  return out;
}

/** `usage_usec` of a v2 cpu.stat, in nanoseconds; null when absent. */
export function parseCpuStatUsageNs(text: string): number | null {
  const m = /^usage_usec\s+(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) * 1000 : null;
}

export function parseCpuacctUsageNs(text: string): number | null {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

interface Candidate {
  file: string;
  parse: (text: string) => number | null;
}

const V1_DIRS = ["cpuacct", "cpu,cpuacct", "cpuacct,cpu"];

function safe(path: string): boolean {
  // A path outside our cgroup namespace shows as "/../.."; joining it would read the wrong cgroup.
  return !path.split("/").includes("..");
}

/** Candidate counter files, most specific first. */
export function cpuCounterCandidates(
  paths: HostPaths,
  entries: readonly CgroupEntry[] | null,
  container: { id: string; cgroupParent: string | null },
): Candidate[] {
  const root = paths.cgroupRoot;
  const v1 = (dir: string, p: string): Candidate => ({ file: join(root, dir, p, "cpuacct.usage"), parse: parseCpuacctUsageNs });
  const v2 = (p: string): Candidate[] => [
    { file: join(root, p, "cpu.stat"), parse: parseCpuStatUsageNs },
    { file: join(root, "unified", p, "cpu.stat"), parse: parseCpuStatUsageNs },
  ];
  const out: Candidate[] = [];
  for (const e of entries ?? []) {
    if (!safe(e.path) || e.path === "/") continue;
    if (e.controllers.includes("cpuacct")) {
      for (const dir of new Set([e.controllers.join(","), ...V1_DIRS])) out.push(v1(dir, e.path));
    }
  }
  for (const e of entries ?? []) {
    if (e.controllers.length === 0 && safe(e.path) && e.path !== "/") out.push(...v2(e.path));
  }
  const id = container.id;
  const byId = [`docker/${id}`, `system.slice/docker-${id}.scope`];
  const parent = container.cgroupParent?.replace(/^\/+/, "");
  if (parent && safe(parent)) byId.push(`${parent}/${id}`, `${parent}/docker-${id}.scope`);
  for (const p of byId) for (const dir of V1_DIRS) out.push(v1(dir, p));
  for (const p of byId) out.push(...v2(p));
  return out;
}

/**
 * The cgroup lines of `pid`, only when they show that the process belongs to container `id` (every
 * Docker cgroup driver puts the id in the leaf): guards against a recycled PID. Null otherwise.
 */
export async function readContainerCgroups(paths: HostPaths, pid: number, id: string, reads: HostReads = asyncHostReads): Promise<CgroupEntry[] | null> {
  const text = await reads.text(join(paths.procRoot, String(pid), "cgroup"));
  if (text === null) return null;
  const entries = parseProcCgroup(text);
  return entries.some((e) => e.path.includes(id)) ? entries : null;
}

/** Cumulative CPU nanoseconds of the container's cgroup, or null when no counter can be read. */
export async function readCgroupCpuNs(
  paths: HostPaths,
  entries: readonly CgroupEntry[] | null,
  container: { id: string; cgroupParent: string | null },
  reads: HostReads = asyncHostReads,
): Promise<number | null> {
  for (const c of cpuCounterCandidates(paths, entries, container)) {
    const text = await reads.text(c.file);
    if (text === null) continue;
    const v = c.parse(text);
    if (v !== null) return v;
  }
  return null;
}
