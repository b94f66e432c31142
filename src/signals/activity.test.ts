// Activity sampling over fake /proc and /sys/fs/cgroup trees (real files in a temp directory),
// in the cgroup v1 and v2 layouts of Docker's cgroupfs and systemd drivers.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EngineStats } from "../model/ports.js";
import { readingFrom, sampleActivity, type ActivityContainer } from "./activity.js";
import { cpuCounterCandidates, parseCpuStatUsageNs, parseProcCgroup } from "./cgroup-cpu.js";
import type { HostPaths } from "./host-paths.js";
import { asyncHostReads, syncHostReads, type HostReads } from "./host-reads.js";
import { parseNetDev } from "./net-dev.js";
import { cpuPercent, perSecond } from "./rate.js";

const ID = "a".repeat(64);
const PID = 4321;
const tmp = mkdtempSync(join(tmpdir(), "ds01-signals-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function tree(): HostPaths & { write(rel: string, text: string): void; link(rel: string, target: string): void } {
  const base = join(tmp, String(++n));
  const paths = { procRoot: join(base, "proc"), cgroupRoot: join(base, "cgroup") };
  const abs = (rel: string) => join(base, rel);
  return {
    ...paths,
    write(rel, text) {
      mkdirSync(dirname(abs(rel)), { recursive: true });
      writeFileSync(abs(rel), text);
    },
    link(rel, target) {
      mkdirSync(dirname(abs(rel)), { recursive: true });
      symlinkSync(target, abs(rel));
    },
  };
}

function netDev(rows: Record<string, [number, number]>): string {
  const head = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";
  return head + Object.entries(rows).map(([i, [rx, tx]]) => `${i.padStart(6)}: ${rx} 10 0 0 0 0 0 0 ${tx} 10 0 0 0 0 0 0`).join("\n") + "\n";
}

const v1Cgroupfs = (path = `/docker/${ID}`) =>
  [`12:pids:${path}`, `4:memory:${path}`, `2:cpuacct:${path}`, `1:cpu:${path}`, `0::${path}`].join("\n") + "\n";
const v1Systemd = `11:cpu,cpuacct:/system.slice/docker-${ID}.scope\n1:name=systemd:/system.slice/docker-${ID}.scope\n0::/system.slice/docker-${ID}.scope\n`;
const v2Systemd = `0::/system.slice/docker-${ID}.scope\n`;
const v2Cgroupfs = `0::/docker/${ID}\n`;

const running: ActivityContainer = { id: ID, pid: PID, state: "running", startedAt: 1_000, cgroupParent: null };
const T0 = 100_000;

describe("parsers", () => {
  it("parseProcCgroup", () => {
    expect(parseProcCgroup(v1Systemd)).toEqual([
      { controllers: ["cpu", "cpuacct"], path: `/system.slice/docker-${ID}.scope` },
      { controllers: ["name=systemd"], path: `/system.slice/docker-${ID}.scope` },
      { controllers: [], path: `/system.slice/docker-${ID}.scope` },
    ]);
  });
  it("parseCpuStatUsageNs", () => {
    expect(parseCpuStatUsageNs("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n")).toBe(1_500_000);
    expect(parseCpuStatUsageNs("user_usec 1000\n")).toBeNull();
  });
  it("parseNetDev sums rx+tx of every interface but lo", () => {
    expect(parseNetDev(netDev({ lo: [1e9, 1e9], eth0: [100, 20], eth1: [3, 4] }))).toBe(127);
    expect(parseNetDev("garbage")).toBeNull();
  });
  it("never reads a cgroup outside our namespace (paths with ..)", () => {
    const c = cpuCounterCandidates({ procRoot: "/p", cgroupRoot: "/c" }, parseProcCgroup(`2:cpuacct:/../../docker/${ID}\n`), { id: ID, cgroupParent: null });
    expect(c.every((x) => !x.file.includes(".."))).toBe(true);
  });
});

describe("rates", () => {
  it.each([
    ["first sample: unknown, not 0", null, { value: 5, at: 2000 }, null, null],
    ["no current sample", { value: 5, at: 1000 }, null, null, null],
    ["1000 bytes over 2 s", { value: 0, at: 1000 }, { value: 1000, at: 3000 }, 0, 500],
    ["counter went backwards (reset)", { value: 900, at: 1000 }, { value: 100, at: 3000 }, 0, null],
    ["restarted after the previous sample", { value: 100, at: 1000 }, { value: 900, at: 3000 }, 2000, null],
    ["same instant", { value: 100, at: 1000 }, { value: 200, at: 1000 }, 0, null],
  ] as const)("%s", (_c, prev, cur, startedAt, rate) => expect(perSecond(prev, cur, startedAt)).toBe(rate));

  it("cpu percent of one core", () => {
    expect(cpuPercent({ value: 0, at: 0 }, { value: 2e9, at: 2000 }, null)).toBe(100);
    expect(cpuPercent({ value: 0, at: 0 }, { value: 5e8, at: 2000 }, null)).toBe(25);
  });
});

// The daemon's reads and a one-shot command's must see the same counters in every layout.
const READERS: [string, HostReads][] = [
  ["the daemon's asynchronous reads", asyncHostReads],
  ["a one-shot's synchronous reads", syncHostReads],
];

describe.each(READERS)("sampleActivity on fake trees, %s", (_reader, reads) => {
  const layouts = [
    ["cgroup v1, cgroupfs driver", v1Cgroupfs(), `cgroup/cpuacct/docker/${ID}/cpuacct.usage`, (ns: number) => `${ns}\n`],
    ["cgroup v1, systemd driver (cpu,cpuacct)", v1Systemd, `cgroup/cpu,cpuacct/system.slice/docker-${ID}.scope/cpuacct.usage`, (ns: number) => `${ns}\n`],
    ["cgroup v2, systemd driver", v2Systemd, `cgroup/system.slice/docker-${ID}.scope/cpu.stat`, (ns: number) => `usage_usec ${ns / 1000}\nuser_usec 0\nsystem_usec 0\n`],
    ["cgroup v2, cgroupfs driver", v2Cgroupfs, `cgroup/docker/${ID}/cpu.stat`, (ns: number) => `usage_usec ${ns / 1000}\n`],
    ["hybrid: v2 counters under unified/", v2Cgroupfs, `cgroup/unified/docker/${ID}/cpu.stat`, (ns: number) => `usage_usec ${ns / 1000}\n`],
  ] as const;

  it.each(layouts)("%s: first sample unknown, then the average over the interval", async (_l, procCgroup, counterFile, counter) => {
    const t = tree();
    t.write(`proc/${PID}/cgroup`, procCgroup);
    t.write(counterFile, counter(10e9));
    t.write(`proc/${PID}/net/dev`, netDev({ lo: [5e6, 5e6], eth0: [1000, 1000] }));
    let now = T0;
    const deps = { paths: t, reads, now: () => now };

    const first = await sampleActivity(running, { lastCpu: null, lastNet: null }, deps);
    expect(first).toMatchObject({ cpuPct: null, netBytesPerS: null, lastCpu: { value: 10e9, at: T0 }, lastNet: { value: 2000, at: T0 }, cpuSource: "cgroup", netSource: "netns" });

    t.write(counterFile, counter(13e9)); // 3 s of CPU in 4 s → 75 %
    t.write(`proc/${PID}/net/dev`, netDev({ lo: [9e9, 9e9], eth0: [3000, 7000] })); // +8000 bytes in 4 s
    now = T0 + 4000;
    const second = await sampleActivity(running, first, deps);
    expect(second.cpuPct).toBeCloseTo(75);
    expect(second.netBytesPerS).toBe(2000);
    expect(second.lastCpu).toEqual({ value: 13e9, at: T0 + 4000 });
  });

  it("a restart between samples gives unknown for that interval and a new baseline", async () => {
    const t = tree();
    t.write(`proc/${PID}/cgroup`, v1Cgroupfs());
    t.write(`cgroup/cpuacct/docker/${ID}/cpuacct.usage`, "2000000000\n");
    t.write(`proc/${PID}/net/dev`, netDev({ eth0: [50, 50] }));
    const prev = { lastCpu: { value: 1e9, at: T0 }, lastNet: { value: 10, at: T0 } };
    const r = await sampleActivity({ ...running, startedAt: T0 + 1000 }, prev, { paths: t, reads, now: () => T0 + 5000 });
    expect(r.cpuPct).toBeNull();
    expect(r.netBytesPerS).toBeNull();
    expect(r.lastCpu).toEqual({ value: 2e9, at: T0 + 5000 });
  });

  it("a PID whose cgroup is not the container's (recycled) is not trusted", async () => {
    const t = tree();
    t.write(`proc/${PID}/cgroup`, "0::/user.slice/session-1.scope\n");
    t.write(`cgroup/user.slice/session-1.scope/cpu.stat`, "usage_usec 999\n");
    t.write(`proc/${PID}/net/dev`, netDev({ eth0: [50, 50] }));
    const r = await sampleActivity(running, { lastCpu: null, lastNet: null }, { paths: t, reads, now: () => T0 });
    expect(r.lastCpu).toBeNull();
    expect(r.lastNet).toBeNull();
  });

  it("without /proc/<pid>, the usual Docker cgroup paths for the id are used; network stays unknown", async () => {
    const t = tree();
    t.write(`cgroup/cpuacct/system.slice/docker-${ID}.scope/cpuacct.usage`, "7\n");
    const r = await sampleActivity(running, { lastCpu: null, lastNet: null }, { paths: t, reads, now: () => T0 });
    expect(r.lastCpu).toEqual({ value: 7, at: T0 });
    expect(r.lastNet).toBeNull();
  });

  it("a container in the host network namespace has unknown network activity", async () => {
    const t = tree();
    t.write(`proc/${PID}/cgroup`, v2Cgroupfs);
    t.write(`cgroup/docker/${ID}/cpu.stat`, "usage_usec 1\n");
    t.write(`proc/${PID}/net/dev`, netDev({ eth0: [50, 50] }));
    t.link(`proc/${PID}/ns/net`, "net:[4026531840]");
    t.link(`proc/1/ns/net`, "net:[4026531840]");
    const r = await sampleActivity(running, { lastCpu: null, lastNet: null }, { paths: t, reads, now: () => T0 });
    expect(r.lastNet).toBeNull();
    expect(r.lastCpu).not.toBeNull();
  });

  it("falls back to Engine stats when nothing on the host can be read", async () => {
    const t = tree();
    const calls: string[] = [];
    const runtime = {
      stats: async (id: string): Promise<EngineStats | null> => {
        calls.push(id);
        return { cpuTotalNs: 4e9, netRxBytes: 100, netTxBytes: 50, at: T0 + 10 };
      },
    };
    const r = await sampleActivity(running, { lastCpu: { value: 2e9, at: T0 - 4000 + 10 }, lastNet: null }, { paths: t, reads, runtime, now: () => T0 });
    expect(calls).toEqual([ID]);
    expect(r).toMatchObject({ cpuSource: "engine", netSource: "engine", cpuPct: 50, netBytesPerS: null, lastNet: { value: 150, at: T0 + 10 } });
  });

  it("a container that is not running is unknown and keeps its baseline", async () => {
    const prev = { lastCpu: { value: 1, at: 1 }, lastNet: { value: 2, at: 1 } };
    const r = await sampleActivity({ ...running, state: "exited", pid: null }, prev, { paths: tree(), reads, now: () => T0 });
    expect(r).toMatchObject({ cpuPct: null, netBytesPerS: null, ...prev });
  });

});

describe("readingFrom", () => {
  it("an unreadable counter keeps the previous sample as the baseline", () => {
    const prev = { lastCpu: { value: 1, at: 1 }, lastNet: { value: 2, at: 1 } };
    const r = readingFrom({ cpuNs: null, netBytes: null, at: T0, cpuSource: null, netSource: null }, prev, null);
    expect(r).toMatchObject({ cpuPct: null, netBytesPerS: null, ...prev });
  });
});
