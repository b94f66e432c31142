// OOM kills inside users' parents, from the kernel's counters (Docker's OOMKilled misses kills
// made because the parent's limit, not the container's, was reached). Each counter's last value is
// remembered; the counters seen at the first look after start are the baseline (kills while ds01
// was not watching are not reported, and none is reported twice after a restart). A counter that
// appears later (a new container, a new parent) starts from 0; one that went down was reset.
import type { UserParent } from "./names.js";

export interface OomFinding {
  user: string;
  group: string;
  cgroupParent: string;
  /** Kills since the last look. */
  count: number;
  /** Where they happened: "" = the parent itself, else the child cgroup (a container id). */
  cgroups: string[];
}

export class OomDetector {
  private last = new Map<string, Map<string, number>>();
  private primed = false;

  /** Compares `counters` (parent → counters, from usage.ts) with the last look. */
  observe(counters: ReadonlyMap<UserParent, ReadonlyMap<string, number>>): OomFinding[] {
    const findings: OomFinding[] = [];
    const next = new Map(this.last); // parents not looked at this time keep their last values
    for (const [parent, now] of counters) {
      const before = this.last.get(parent.cgroupParent);
      let count = 0;
      const where: string[] = [];
      for (const [rel, n] of now) {
        const prev = before?.get(rel) ?? (this.primed ? 0 : n);
        const delta = n >= prev ? n - prev : n; // a reset counter counts from 0
        if (delta > 0) {
          count += delta;
          where.push(rel);
        }
      }
      next.set(parent.cgroupParent, new Map(now));
      if (count > 0) findings.push({ user: parent.user, group: parent.group, cgroupParent: parent.cgroupParent, count, cgroups: where });
    }
    this.last = next;
    this.primed = true;
    return findings;
  }

  /** A parent that was removed: a new one of that name starts from 0. */
  forget(cgroupParent: string): void {
    this.last.delete(cgroupParent);
  }
}
