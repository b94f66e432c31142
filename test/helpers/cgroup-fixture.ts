// Fixture cgroup trees in a temporary directory for the cgroup tests (v1 hierarchies, a v2 tree, a
// unit directory), and a UserCgroups over them with a recording systemctl.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeCgroupFs } from "../../src/cgroups/node-cgroup-fs.js";
import type { CgroupSetup } from "../../src/cgroups/setup.js";
import { UserCgroups } from "../../src/cgroups/user-cgroups.js";
import type { CgroupFs } from "../../src/cgroups/cgroup-fs.js";

/** Like cgroupfs: a directory that holds only (control) files can be removed; one with a subdirectory cannot. */
const fixtureFs: CgroupFs = {
  ...nodeCgroupFs,
  async rmdir(path) {
    for (const e of readdirSync(path, { withFileTypes: true })) if (e.isFile()) unlinkSync(join(path, e.name));
    await nodeCgroupFs.rmdir(path);
  },
};

export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

export interface Fixture {
  dir: string;
  root: string;
  unitDir: string;
  cg: UserCgroups;
  systemctlCalls: string[][];
  read(rel: string): string;
  write(rel: string, text: string): void;
  mkdir(rel: string): void;
  age(rel: string, at: number): void;
  remove(): void;
}

export function fixture(setup: CgroupSetup, opts: { now?: number; systemctlFails?: boolean } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), "ds01-cgroup-fixture-"));
  const root = join(dir, "cgroup");
  const unitDir = join(dir, "units");
  mkdirSync(root);
  if (setup.version === 1) for (const h of ["memory", "cpu", "cpuacct", "pids", "blkio"]) mkdirSync(join(root, h));
  const systemctlCalls: string[][] = [];
  const cg = new UserCgroups({
    setup,
    root,
    unitDir,
    fs: fixtureFs,
    systemctl: async (args) => {
      systemctlCalls.push(args);
      if (opts.systemctlFails) throw new Error("systemctl: Failed to connect to bus");
    },
    now: () => opts.now ?? T0,
  });
  const abs = (rel: string) => join(dir, rel);
  return {
    dir,
    root,
    unitDir,
    cg,
    systemctlCalls,
    read: (rel) => readFileSync(abs(rel), "utf8"),
    write: (rel, text) => writeFileSync(abs(rel), text),
    mkdir: (rel) => mkdirSync(abs(rel), { recursive: true }),
    age: (rel, at) => utimesSync(abs(rel), at / 1000, at / 1000),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
