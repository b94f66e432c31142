// Removes users' parents that hold nothing: no process and no child cgroup (a container's cgroup
// is a child while it runs), in every hierarchy, and unchanged for `minAgeMs` (a parent prepared
// for a create that has not started yet is left alone). A parent with anything in it is never
// touched; the kernel would refuse anyway (EBUSY), but ds01 does not rely on that.
import { join } from "node:path/posix";
import { errorText } from "../errors.js";
import type { CgroupFs } from "./cgroup-fs.js";
import { UNIT_HEADER } from "./caps.js";
import { DS01_CGROUP, parentsDir } from "./names.js";
import type { UserCgroups } from "./user-cgroups.js";

/** How long an empty parent stays before the daemon removes it. */
export const EMPTY_PARENT_MIN_AGE_MS = 60_000;

export interface CleanupResult {
  /** HostConfig.CgroupParent-style names of the parents removed. */
  removed: string[];
  failed: { parent: string; error: string }[];
}

/** Empty: no process in cgroup.procs and no subdirectory. A directory that is missing counts as empty. */
export async function cgroupEmpty(fs: CgroupFs, dir: string): Promise<boolean> {
  const subdirs = await fs.subdirs(dir);
  if (subdirs === null) return true;
  if (subdirs.length > 0) return false;
  return ((await fs.read(join(dir, "cgroup.procs"))) ?? "").trim() === "";
}

/** The directories a parent (relative `dir`) has in the hierarchies of this host (those that exist). */
async function placesOf(cg: UserCgroups, dir: string): Promise<string[]> {
  const { root, fs, setup } = cg.opts;
  const all = setup.version === 2 ? [join(root, dir)] : ((await fs.subdirs(root)) ?? []).map((h) => join(root, h, dir));
  const out: string[] = [];
  for (const p of all) if ((await fs.subdirs(p)) !== null) out.push(p);
  return out;
}

async function removable(cg: UserCgroups, places: string[], now: number, minAgeMs: number): Promise<boolean> {
  for (const p of places) {
    if (!(await cgroupEmpty(cg.opts.fs, p))) return false;
    const m = await cg.opts.fs.mtimeMs(p);
    if (m !== null && now - m < minAgeMs) return false;
  }
  return true;
}

export async function removeEmptyParents(cg: UserCgroups, now: number, minAgeMs = EMPTY_PARENT_MIN_AGE_MS): Promise<CleanupResult> {
  return cg.opts.setup.driver === "systemd" ? removeEmptySlices(cg, now, minAgeMs) : removeEmptyDirs(cg, now, minAgeMs);
}

async function removeEmptyDirs(cg: UserCgroups, now: number, minAgeMs: number): Promise<CleanupResult> {
  const { fs, setup } = cg.opts;
  const top = parentsDir(setup);
  const names = new Set<string>();
  for (const p of await placesOf(cg, top)) for (const n of (await fs.subdirs(p)) ?? []) names.add(n);
  const out: CleanupResult = { removed: [], failed: [] };
  for (const name of [...names].sort()) {
    const dir = `${top}/${name}`;
    const places = await placesOf(cg, dir);
    if (!(await removable(cg, places, now, minAgeMs))) continue;
    try {
      for (const p of places) await fs.rmdir(p);
      out.removed.push(`/${dir}`);
    } catch (e) {
      out.failed.push({ parent: `/${dir}`, error: errorText(e) });
    }
  }
  return out;
}

/** ds01-<g>-<u>.slice → ds01.slice/ds01-<g>.slice/ds01-<g>-<u>.slice (names ds01 wrote have no other dash). */
export function sliceDir(unit: string): string | null {
  const m = new RegExp(`^${DS01_CGROUP}-([A-Za-z0-9_]+)-([A-Za-z0-9_]+)\\.slice$`).exec(unit);
  return m ? `${DS01_CGROUP}.slice/${DS01_CGROUP}-${m[1]}.slice/${unit}` : null;
}

async function removeEmptySlices(cg: UserCgroups, now: number, minAgeMs: number): Promise<CleanupResult> {
  const { fs, unitDir, systemctl } = cg.opts;
  const out: CleanupResult = { removed: [], failed: [] };
  for (const unit of (await fs.files(unitDir)).sort()) {
    const dir = sliceDir(unit);
    if (!dir) continue;
    const path = join(unitDir, unit);
    if (!((await fs.read(path)) ?? "").startsWith(UNIT_HEADER)) continue; // not ours
    const m = await fs.mtimeMs(path);
    if (m !== null && now - m < minAgeMs) continue;
    if (!(await removable(cg, await placesOf(cg, dir), now, minAgeMs))) continue;
    try {
      await systemctl(["stop", unit]);
      await fs.unlink(path);
      out.removed.push(unit);
    } catch (e) {
      out.failed.push({ parent: unit, error: errorText(e) });
    }
  }
  if (out.removed.length > 0) {
    try {
      await systemctl(["daemon-reload"]);
    } catch (e) {
      out.failed.push({ parent: "daemon-reload", error: errorText(e) });
    }
  }
  return out;
}
