import { beforeAll, describe, expect, it } from "vitest";
import { bundledConfigDir } from "../config/locate-config-dir.js";
import { loadConfig } from "../config/load-config.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { PassDeps } from "../pass/run-pass.js";
import { fixedClock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { ReloadOutcome } from "./config-reloader.js";
import { RunningConfig } from "./running-config.js";
import { StoreHealth } from "./store-health.js";

const T0 = 1_800_000_000_000;
let base: LoadedConfig;
beforeAll(async () => {
  base = await loadConfig(bundledConfigDir());
});

function withDaemon(d: Partial<LoadedConfig["daemon"]>): LoadedConfig {
  return { ...base, daemon: { ...base.daemon, ...d } };
}

/** A RunningConfig over a reloader that answers what the test queues; `seen` is what happened, in order. */
function setup(opts: { storeFails?: boolean } = {}) {
  const seen: string[] = [];
  const outcomes: ReloadOutcome[] = [];
  const audit: AuditEvent[] = [];
  const built: LoadedConfig[] = [];
  const log: Logger = { debug: () => {}, info: (_f, msg) => void seen.push(`log ${msg}`), warn: (_f, msg) => void seen.push(`log ${msg}`), error: (_f, msg) => void seen.push(`log ${msg}`) };
  const storeHealth = new StoreHealth({ count: () => {}, log: { ...log, error: () => {} } });
  const rc = new RunningConfig({
    config: base,
    dir: "/etc/ds01",
    clock: fixedClock(T0),
    log,
    metrics: { setPassInterval: (s) => void seen.push(`pass interval ${s}`), configReload: (ok) => void seen.push(`reload counted ${ok ? "ok" : "failed"}`) },
    storeHealth,
    store: {
      append: (e) => {
        if (opts.storeFails) throw new Error("disk I/O error");
        seen.push(`audit ${e.type}`);
        audit.push(e);
      },
    },
    buildDeps: (c) => (built.push(c), { config: c } as unknown as PassDeps),
    listening: () => ({ host: "127.0.0.1", port: 9101 }),
    reloader: { baseline: async () => void seen.push("baseline"), check: async () => outcomes.shift() ?? { kind: "unchanged" } },
  });
  rc.listen({
    applied: (c) => void seen.push(`applied ${c.daemon.pass_interval_s}`),
    settle: async (c) => void seen.push(`settle ${c.daemon.pass_interval_s}`),
    refused: (problems) => void seen.push(`refused ${problems.join(" | ")}`),
  });
  return { rc, seen, outcomes, audit, built, storeHealth };
}

describe("RunningConfig", () => {
  it("start builds the pass deps of the config loaded at start and takes the baseline; nothing is checked before", async () => {
    const s = setup();
    s.outcomes.push({ kind: "reloaded", config: withDaemon({ pass_interval_s: 60 }), warnings: [] });
    await s.rc.check(); // not started: the queued edit stays queued
    expect(s.outcomes).toHaveLength(1);
    expect(() => s.rc.deps).toThrow(/not been started/);
    await s.rc.start();
    expect(s.rc.deps.config).toBe(base);
    expect(s.seen).toEqual([`pass interval ${base.daemon.pass_interval_s}`, "baseline"]);
  });

  it("applies a valid edit: new deps, listeners, then counted, audited and logged, then settled", async () => {
    const s = setup();
    await s.rc.start();
    s.seen.length = 0;
    const next = withDaemon({ pass_interval_s: 60, sample_interval_s: 5 });
    s.outcomes.push({ kind: "reloaded", config: next, warnings: ["resource-limits.yaml:9:3: unknown key"] });
    await s.rc.check();
    expect(s.rc.current).toBe(next);
    expect(s.rc.deps.config).toBe(next);
    expect(s.built).toEqual([base, next]);
    expect(s.seen).toEqual(["applied 60", "pass interval 60", "reload counted ok", "audit config.reloaded", "log config reloaded", "settle 60"]);
    expect(s.audit[0]).toEqual({ time: T0, type: "config.reloaded", user: null, container: null, containerId: null, details: { dir: "/etc/ds01", warnings: ["resource-limits.yaml:9:3: unknown key"], sample_interval_s: 5, pass_interval_s: 60 } });
  });

  it("keeps the last good config on a refused edit: listeners told, counted, audited with the problems, logged", async () => {
    const s = setup();
    await s.rc.start();
    s.seen.length = 0;
    s.outcomes.push({ kind: "failed", problems: ["/etc/ds01/resource-limits.yaml:3:1: daemon: expected a mapping"] });
    await s.rc.check();
    expect(s.rc.current).toBe(base);
    expect(s.built).toEqual([base]);
    expect(s.seen).toEqual(["reload counted failed", "refused /etc/ds01/resource-limits.yaml:3:1: daemon: expected a mapping", "audit config.reload_failed", "log config reload failed"]);
    expect(s.audit[0]?.details).toEqual({ dir: "/etc/ds01", problems: ["/etc/ds01/resource-limits.yaml:3:1: daemon: expected a mapping"] });
  });

  it("warns that a daemon.listen edit needs a restart, after the settling", async () => {
    const s = setup();
    await s.rc.start();
    s.seen.length = 0;
    s.outcomes.push({ kind: "reloaded", config: withDaemon({ listen: "0.0.0.0:9200" }), warnings: [] });
    await s.rc.check();
    expect(s.seen.slice(-2)).toEqual([`settle ${base.daemon.pass_interval_s}`, "log daemon.listen changed: takes effect at the next restart"]);
  });

  it("a store that cannot take the record is a store failure; the edit is applied all the same", async () => {
    const s = setup({ storeFails: true });
    await s.rc.start();
    const next = withDaemon({ pass_interval_s: 90 });
    s.outcomes.push({ kind: "reloaded", config: next, warnings: [] });
    await s.rc.check();
    expect(s.rc.current).toBe(next);
    expect(s.storeHealth.error).toBe("recording the config reload: disk I/O error");
    expect(s.seen).toContain("log config reloaded");
  });

  it("applies nothing after stop", async () => {
    const s = setup();
    await s.rc.start();
    s.rc.stop();
    s.outcomes.push({ kind: "reloaded", config: withDaemon({ pass_interval_s: 60 }), warnings: [] });
    await s.rc.check();
    expect(s.rc.current).toBe(base);
  });
});
