// Prepares a user's cgroup parent with their aggregate limits, before any container of theirs is
// created in it (Docker would otherwise create the directory itself, without limits):
//   cgroupfs, v1: the directory in the memory, cpu, cpuacct and pids hierarchies, then the limit
//                 files of each (caps.ts v1Writes);
//   cgroupfs, v2: the directory, the cpu/memory/pids controllers enabled in cgroup.subtree_control
//                 of every directory above it (and its own, for the containers), then the files;
//   systemd:      a slice unit in the unit directory, then `systemctl daemon-reload` when it changed.
import { join } from "node:path/posix";
import { errorText } from "../errors.js";
import type { CgroupFs } from "./cgroup-fs.js";
import { sliceUnit, v1Writes, v2Writes, V2_CONTROLLERS, type AggregateCaps, type LimitWrite } from "./caps.js";
import { userParent, type UserParent } from "./names.js";
import type { CgroupSetup } from "./setup.js";

/** The v1 hierarchies a parent is made in: the three that are limited, and cpuacct (usage). */
export const V1_HIERARCHIES = ["memory", "cpu", "cpuacct", "pids"] as const;

/** A cgroup file or unit that could not be written; the create that needed it is refused. */
export class CgroupError extends Error {
  override readonly name = "CgroupError";
}

export interface UserCgroupsOptions {
  setup: CgroupSetup;
  /** The cgroup mount (/sys/fs/cgroup; a fixture tree in tests). */
  root: string;
  /** Where slice units go (systemd driver). */
  unitDir: string;
  fs: CgroupFs;
  /** Runs systemctl with these arguments, bounded; rejects when it fails. */
  systemctl: (args: string[]) => Promise<void>;
  now: () => number;
  /** Parents this process prepared lately (shared by every UserCgroups of one process); absent: none kept. */
  prepared?: PreparedParents;
}

/**
 * How long a parent this process prepared is taken as it is by the next prepare with the same
 * limits (after one check that its directory is still there): a burst of creates (compose, a
 * `docker run` = create + start) writes its files once. Well inside EMPTY_PARENT_MIN_AGE_MS, so
 * the daemon cannot have removed it as stale meanwhile; update() forgets it.
 */
export const PREPARED_REUSE_MS = 10_000;

/** When each parent (by directory) was last prepared, and with which limits. */
export class PreparedParents {
  private readonly last = new Map<string, { limits: string; at: number }>();

  constructor(private readonly reuseMs = PREPARED_REUSE_MS) {}

  recent(dir: string, limits: string, now: number): boolean {
    const l = this.last.get(dir);
    return l !== undefined && l.limits === limits && now - l.at >= 0 && now - l.at < this.reuseMs;
  }

  note(dir: string, limits: string, now: number): void {
    this.last.set(dir, { limits, at: now });
  }

  forget(dir: string): void {
    this.last.delete(dir);
  }
}

export class UserCgroups {
  constructor(readonly opts: UserCgroupsOptions) {}

  get setup(): CgroupSetup {
    return this.opts.setup;
  }

  parentOf(user: string, group: string): UserParent {
    return userParent(this.opts.setup, user, group);
  }

  /** The parent's directory in a hierarchy (v1: "memory", "cpu"…; v2: ignored). */
  dir(parent: Pick<UserParent, "dir">, controller: string | null): string {
    return this.opts.setup.version === 1 ? join(this.opts.root, controller ?? "memory", parent.dir) : join(this.opts.root, parent.dir);
  }

  /** Makes the parent and writes its limits; returns the HostConfig.CgroupParent value. Throws CgroupError. */
  async prepare(user: string, group: string, caps: AggregateCaps): Promise<string> {
    const parent = this.parentOf(user, group);
    try {
      if (this.opts.setup.driver === "systemd") await this.writeUnit(parent, caps, true);
      else {
        const { prepared, fs, now } = this.opts;
        const dir = this.dir(parent, null);
        const limits = JSON.stringify(caps);
        if (prepared?.recent(dir, limits, now()) && (await this.allThere(parent))) return parent.cgroupParent;
        await this.makeDirs(parent);
        await this.writeLimits(parent, caps);
        // Marked fresh: the daemon leaves a parent alone for a while after a create prepared it.
        await Promise.all((this.opts.setup.version === 1 ? V1_HIERARCHIES : [null]).map((h) => fs.touch(this.dir(parent, h), now())));
        prepared?.note(dir, limits, now());
      }
    } catch (e) {
      if (e instanceof CgroupError) throw e;
      throw new CgroupError(`the cgroup parent ${parent.cgroupParent} could not be prepared: ${errorText(e)}`, { cause: e });
    }
    return parent.cgroupParent;
  }

  /**
   * Writes the current limits (null: none) into a parent that exists; one that does not is left
   * absent (prepare makes it at the next create). `kept`: limits the kernel would not lower yet.
   */
  async update(parent: UserParent, caps: AggregateCaps | null): Promise<{ exists: boolean; kept: string[] }> {
    this.opts.prepared?.forget(this.dir(parent, null));
    if (this.opts.setup.driver === "systemd") {
      const had = (await this.opts.fs.read(join(this.opts.unitDir, parent.unit!))) !== null;
      if (had) await this.writeUnit(parent, caps, false);
      return { exists: had, kept: [] };
    }
    if ((await this.opts.fs.mtimeMs(this.dir(parent, "memory"))) === null) return { exists: false, kept: [] };
    return { exists: true, kept: await this.writeLimits(parent, caps) };
  }

  /** The parent's directory exists in every hierarchy it is made in (nobody removed one by hand). */
  private async allThere(parent: UserParent): Promise<boolean> {
    const dirs = (this.opts.setup.version === 1 ? V1_HIERARCHIES : [null]).map((h) => this.dir(parent, h));
    return (await Promise.all(dirs.map((d) => this.opts.fs.mtimeMs(d)))).every((m) => m !== null);
  }

  private async makeDirs(parent: UserParent): Promise<void> {
    const { fs, root, setup } = this.opts;
    if (setup.version === 1) {
      await Promise.all(V1_HIERARCHIES.map((h) => fs.mkdirp(join(root, h, parent.dir))));
      return;
    }
    const parts = parent.dir.split("/");
    const enable = V2_CONTROLLERS.map((c) => `+${c}`).join(" ");
    let d = root;
    for (const part of parts) {
      await fs.write(join(d, "cgroup.subtree_control"), enable);
      d = join(d, part);
      await fs.mkdirp(d);
    }
    await fs.write(join(d, "cgroup.subtree_control"), enable);
  }

  /** Writes each limit file; returns the limits kept as they were (see oldQuotaHolds). */
  private async writeLimits(parent: UserParent, caps: AggregateCaps | null): Promise<string[]> {
    const writes: LimitWrite[] = this.opts.setup.version === 1 ? v1Writes(caps) : v2Writes(caps);
    const kept: string[] = [];
    for (const w of writes) {
      const path = join(this.dir(parent, w.controller), w.file);
      try {
        await this.opts.fs.write(path, w.value);
      } catch (e) {
        if (await this.oldQuotaHolds(path, w, e)) kept.push(`${path} stays ${(await this.opts.fs.read(path))?.trim()}`);
        else throw new CgroupError(`${path} could not be set to ${w.value}: ${errorText(e)}`, { cause: e });
      }
    }
    return kept;
  }

  /**
   * cgroup v1 refuses (EINVAL) a parent's CPU quota below a running child's. The parent then keeps
   * the finite quota it had, which still caps the user; the next write, once that container is
   * gone, lowers it. A parent without a quota (-1) is not capped, so that failure stays an error.
   */
  private async oldQuotaHolds(path: string, w: LimitWrite, e: unknown): Promise<boolean> {
    if (w.file !== "cpu.cfs_quota_us" || (e as NodeJS.ErrnoException).code !== "EINVAL") return false;
    const now = Number((await this.opts.fs.read(path))?.trim());
    return Number.isFinite(now) && now > 0;
  }

  /** Writes the unit when its text changed, then reloads systemd. */
  private async writeUnit(parent: UserParent, caps: AggregateCaps | null, create: boolean): Promise<void> {
    const { fs, unitDir } = this.opts;
    const path = join(unitDir, parent.unit!);
    const text = sliceUnit(parent, caps);
    if ((await fs.read(path)) === text) return;
    if (create) await fs.mkdirp(unitDir);
    await fs.write(path, text);
    try {
      await this.opts.systemctl(["daemon-reload"]);
    } catch (e) {
      throw new CgroupError(`${path} was written but systemctl daemon-reload failed: ${errorText(e)}`, { cause: e });
    }
  }
}
