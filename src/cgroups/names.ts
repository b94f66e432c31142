// Where a user's containers go: the cgroup parent Docker is given, and the directory it becomes in
// each cgroup hierarchy. User and group names are untrusted text (a login may hold dots, dashes, or
// anything NSS allows): each is reduced to [A-Za-z0-9_], which can neither climb out of the ds01
// tree ("/", "..") nor add a level to a systemd slice name ("-"), nor split runc's "slice:prefix:name"
// (":"). A name that had to change gets a short hash of the original, so two logins that reduce to
// the same text (a.b and a_b) still get parents of their own.
import { createHash } from "node:crypto";
import type { CgroupSetup } from "./setup.js";

/** The cgroupfs parent of every user's parent, and the systemd slice prefix. */
export const DS01_CGROUP = "ds01";

const MAX_PART = 40;

export function cgroupNamePart(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, "_").replace(/_+/g, "_").replace(/^_+|_+$/g, "");
  if (s !== "" && s === name && s.length <= MAX_PART) return s;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  s = s.slice(0, MAX_PART - 9);
  return s === "" ? `x${hash}` : `${s}_${hash}`;
}

export interface UserParent {
  user: string;
  group: string;
  /** HostConfig.CgroupParent: `/ds01/<group>-<user>` (cgroupfs) or `ds01-<group>-<user>.slice` (systemd). */
  cgroupParent: string;
  /** The parent's directory inside one hierarchy, relative (no leading slash). */
  dir: string;
  /** systemd: the slice unit's file name; null for cgroupfs. */
  unit: string | null;
}

export function userParent(setup: Pick<CgroupSetup, "driver">, user: string, group: string): UserParent {
  const g = cgroupNamePart(group);
  const u = cgroupNamePart(user);
  if (setup.driver === "systemd") {
    // systemd nests by dashes: ds01-g-u.slice lives in ds01.slice/ds01-g.slice/.
    const unit = `${DS01_CGROUP}-${g}-${u}.slice`;
    return { user, group, cgroupParent: unit, dir: `${DS01_CGROUP}.slice/${DS01_CGROUP}-${g}.slice/${unit}`, unit };
  }
  return { user, group, cgroupParent: `/${DS01_CGROUP}/${g}-${u}`, dir: `${DS01_CGROUP}/${g}-${u}`, unit: null };
}

/** The directory (relative) that holds every user's parent: `ds01` or `ds01.slice`. */
export function parentsDir(setup: Pick<CgroupSetup, "driver">): string {
  return setup.driver === "systemd" ? `${DS01_CGROUP}.slice` : DS01_CGROUP;
}
