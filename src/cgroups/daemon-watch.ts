// The daemon's work on users' cgroup parents, once per pass: existing parents brought to the current
// config's aggregate limits, empty ones removed, each user's usage read for /metrics, and OOM kills
// inside a parent audited and told to its owner.
import { resolvePolicy } from "../config/resolve-policy.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { EVENT } from "../constants/event-types.js";
import { errorText } from "../errors.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { Notifier } from "../model/ports.js";
import type { Logger } from "../util/log.js";
import { removeEmptyParents } from "./cleanup.js";
import type { UserParent } from "./names.js";
import { OomDetector, type OomFinding } from "./oom-detector.js";
import { updateParents, type ParentUpdate } from "./reconcile.js";
import { oomKillCounters, parentUsage } from "./usage.js";
import type { UserCgroups } from "./user-cgroups.js";

export interface UserUsageRow {
  user: string;
  group: string;
  cpuSeconds: number | null;
  memoryBytes: number | null;
}

export interface CgroupWatchDeps {
  cgroups(config: LoadedConfig): Promise<UserCgroups>;
  append(e: AuditEvent): void;
  log: Logger;
  now(): number;
}

const CONTAINER_ID = /^[0-9a-f]{64}$/;

export class UserCgroupWatch {
  private readonly oom = new OomDetector();
  /** The last problem logged per parent, so a lasting one is logged once. */
  private readonly problems = new Map<string, string>();

  constructor(private readonly deps: CgroupWatchDeps) {}

  /**
   * The whole pass: existing parents updated, empty ones removed, then usage and OOM kills read.
   * `owners`: every user who has a container. Never throws; what failed is logged.
   */
  async pass(config: LoadedConfig, owners: Iterable<string>, notifier: Notifier | null): Promise<UserUsageRow[]> {
    const cg = await this.cgroups(config);
    if (!cg) return [];
    const updates = await this.update(cg, config, owners);
    await this.clean(cg);
    return this.measure(cg, config, updates.map((u) => u.parent), notifier);
  }

  /** The UserCgroups for the config, or null (logged) while the setup cannot be detected. */
  async cgroups(config: LoadedConfig): Promise<UserCgroups | null> {
    try {
      return await this.deps.cgroups(config);
    } catch (e) {
      this.problem("setup", errorText(e), "cgroup setup unknown: users' aggregate limits not checked");
      return null;
    }
  }

  async update(cg: UserCgroups, config: LoadedConfig, owners: Iterable<string>): Promise<ParentUpdate[]> {
    const now = this.deps.now();
    const updates = await updateParents(cg, owners, (user) => resolvePolicy(config, user, now));
    for (const u of updates) {
      if (u.error) this.problem(u.parent.cgroupParent, u.error, "aggregate limits not updated");
      else if (u.kept.length > 0) this.problem(u.parent.cgroupParent, u.kept.join("; "), "aggregate CPU quota not lowered yet: a running container has more");
      else this.problems.delete(u.parent.cgroupParent);
    }
    return updates;
  }

  async clean(cg: UserCgroups): Promise<void> {
    const now = this.deps.now();
    const cleaned = await removeEmptyParents(cg, now).catch((e: unknown) => ({ removed: [], failed: [{ parent: "*", error: errorText(e) }] }));
    for (const removed of cleaned.removed) {
      this.oom.forget(removed);
      this.deps.append({ time: now, type: EVENT.userCgroupRemoved, user: null, container: null, containerId: null, details: { cgroup_parent: removed } });
    }
    for (const f of cleaned.failed) this.problem(`cleanup ${f.parent}`, f.error, "empty cgroup parent not removed");
  }

  /** Usage of each parent that exists, and OOM kills since the last look (audited, told to the owner). */
  async measure(cg: UserCgroups, config: LoadedConfig, parents: readonly UserParent[], notifier: Notifier | null): Promise<UserUsageRow[]> {
    const rows: UserUsageRow[] = [];
    const counters = new Map<UserParent, Map<string, number>>();
    for (const p of parents) {
      try {
        const usage = await parentUsage(cg, p);
        if (!usage) continue; // not there (removed, or never made)
        rows.push({ user: p.user, group: p.group, ...usage });
        counters.set(p, await oomKillCounters(cg, p));
      } catch (e) {
        this.problem(`read ${p.cgroupParent}`, errorText(e), "cgroup parent not readable");
      }
    }
    for (const f of this.oom.observe(counters)) await this.reportOom(f, config, notifier);
    return rows;
  }

  private async reportOom(f: OomFinding, config: LoadedConfig, notifier: Notifier | null): Promise<void> {
    const containers = f.cgroups.filter((c) => CONTAINER_ID.test(c));
    const memoryMax = resolvePolicy(config, f.user, this.deps.now()).aggregate?.memory_max ?? null;
    const details = { group: f.group, count: f.count, cgroup_parent: f.cgroupParent, containers, aggregate_memory_max: memoryMax };
    this.deps.append({ time: this.deps.now(), type: EVENT.userOomKill, user: f.user, container: null, containerId: containers[0] ?? null, details });
    this.deps.log.warn({ user: f.user, ...details }, "processes killed for lack of memory in a user's cgroup parent");
    if (!notifier) return;
    const cap = memoryMax ? `all your containers together may use ${memoryMax} (aggregate memory_max), and each its own memory limit` : "each of your containers has its own memory limit";
    await notifier
      .notify({
        audience: "user", user: f.user, containerId: containers[0] ?? null, containerName: null, severity: "alert",
        title: "OUT OF MEMORY",
        body: `${f.count} process${f.count === 1 ? " was" : "es were"} killed in your containers for lack of memory: ${cap}.`,
        facts: details,
        prevent: ["use less memory at once, or stop a container you no longer need (docker ps, docker stop)"],
      })
      .catch(() => undefined);
  }

  private problem(key: string, error: string, message: string): void {
    if (this.problems.get(key) === error) return;
    this.problems.set(key, error);
    this.deps.log.warn({ what: key, error }, message);
  }
}
