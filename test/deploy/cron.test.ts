import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findCommand } from "../../src/cli/commands.js";
import { repoPath } from "./tools.js";

const FILE = repoPath("deploy/cron/ds01");
const TEXT = readFileSync(FILE, "utf8");

interface CronJob {
  line: number;
  minute: string;
  hour: string;
  user: string;
  command: string;
}

/** /etc/cron.d format: five time fields, a user, a command; NAME=value lines set the environment. */
function parseCronD(text: string): CronJob[] {
  const jobs: CronJob[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(line)) return;
    const f = line.split(/\s+/);
    if (f.length < 7) throw new Error(`line ${i + 1}: expected 5 time fields, a user and a command`);
    jobs.push({ line: i + 1, minute: f[0]!, hour: f[1]!, user: f[5]!, command: f.slice(6).join(" ") });
  });
  return jobs;
}

/** The values a cron field matches: *, N, A-B, lists, and /STEP on * or a range. */
function expandField(field: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad cron field "${field}"`);
    const step = m[2] ? Number(m[2]) : 1;
    const [lo, hi] = m[1] === "*" ? [min, max] : m[1]!.includes("-") ? m[1]!.split("-").map(Number) : [Number(m[1]), m[2] ? max : Number(m[1])];
    if (lo! < min || hi! > max || lo! > hi! || step < 1) throw new Error(`cron field "${field}" out of range`);
    for (let v = lo!; v <= hi!; v += step) out.add(v);
  }
  return out;
}

/** Pairs of jobs that can start in the same minute (compared on the minute alone, the strictest reading). */
function collisions(jobs: CronJob[]): string[] {
  const found: string[] = [];
  for (let a = 0; a < jobs.length; a++) {
    for (let b = a + 1; b < jobs.length; b++) {
      const ma = expandField(jobs[a]!.minute, 0, 59);
      const shared = [...expandField(jobs[b]!.minute, 0, 59)].filter((m) => ma.has(m));
      if (shared.length > 0) found.push(`lines ${jobs[a]!.line} and ${jobs[b]!.line} share minute(s) ${shared.join(",")}`);
    }
  }
  return found;
}

describe("cron field expansion", () => {
  it.each<[string, number[]]>([
    ["35", [35]],
    ["2-59/10", [2, 12, 22, 32, 42, 52]],
    ["*/20", [0, 20, 40]],
    ["5,50", [5, 50]],
    ["10-12", [10, 11, 12]],
  ])("%s", (field, minutes) => {
    expect([...expandField(field, 0, 59)]).toEqual(minutes);
  });

  it("finds a collision (the original ran idle check and stale cleanup both at :30)", () => {
    const jobs = parseCronD("30 * * * * root a\n*/15 * * * * root b\n5 * * * * root c\n");
    expect(collisions(jobs)).toEqual(["lines 1 and 2 share minute(s) 30"]);
  });
});

describe("deploy/cron/ds01", () => {
  const jobs = parseCronD(TEXT);

  it("has jobs, and no two share a minute", () => {
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    expect(collisions(jobs)).toEqual([]);
    for (const j of jobs) expandField(j.hour, 0, 23);
  });

  it("runs ds01 commands that exist, as root, each under a timeout", () => {
    for (const j of jobs) {
      expect(j.user, `line ${j.line}`).toBe("root");
      const m = /^timeout \d+ \/usr\/local\/bin\/ds01 --config \/etc\/ds01 --state-dir \/var\/lib\/ds01 (.+?) 2>&1 \| logger -t ds01-cron$/.exec(j.command);
      expect(m, `line ${j.line}: ${j.command}`).not.toBeNull();
      const found = findCommand(m![1]!.split(" "));
      expect(found?.rest, `line ${j.line}: unknown command ${m![1]}`).toEqual([]);
    }
    expect(jobs.map((j) => j.command)).toEqual(expect.arrayContaining([expect.stringContaining(" check 2>&1"), expect.stringContaining(" gpu health ")]));
  });

  it("says the daemon makes it unnecessary", () => {
    expect(TEXT).toMatch(/daemon[^\n]*makes this file unnecessary/);
  });
});
