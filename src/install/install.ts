import { constants as fsConstants } from "node:fs";
import { lstat, mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { planStep, type InstallSource, type InstallStep, type TargetState } from "./plan.js";

// `ds01 install`: the systemd unit and the config skeleton, under a prefix ("/" normally).

export const INSTALL_PATHS = {
  unit: "etc/systemd/system/ds01.service",
  configDir: "etc/ds01",
  stateDir: "var/lib/ds01",
  binary: "usr/local/bin/ds01",
} as const;

/** What `--gate` adds: the gate's unit and the drop-ins that move dockerd's socket out of reach. */
export const GATE_FILES = [
  { from: "deploy/systemd/ds01-gate.service", target: "etc/systemd/system/ds01-gate.service" },
  { from: "deploy/systemd/gate/docker.socket.conf", target: "etc/systemd/system/docker.socket.d/ds01-gate.conf" },
  { from: "deploy/systemd/gate/ds01.service.conf", target: "etc/systemd/system/ds01.service.d/ds01-gate.conf" },
] as const;

export const GATE_ROLLBACK =
  "to roll the gate back: rm /etc/systemd/system/docker.socket.d/ds01-gate.conf /etc/systemd/system/ds01.service.d/ds01-gate.conf; " +
  "systemctl daemon-reload; systemctl disable --now ds01-gate; systemctl restart docker.socket docker ds01";

export interface InstallPlan {
  prefix: string;
  /** Directories made when missing (mode applies only to new ones); `exists` when planned. */
  dirs: { path: string; mode: number; exists?: boolean }[];
  steps: InstallStep[];
  /** Things the admin should know (printed, never fatal). */
  notes: string[];
}

async function targetState(path: string): Promise<TargetState> {
  try {
    const st = await lstat(path);
    return { exists: true, content: st.isFile() ? await readFile(path) : null };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { exists: false };
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await targetState(path)).exists;
}

/** Regular files under dir, as paths relative to it, sorted (symlinks and others are skipped). */
async function filesUnder(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const path = rel === "" ? e.name : join(rel, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(dir, path)));
    else if (e.isFile()) out.push(path);
  }
  return out.sort();
}

/** Reads the package and the target tree; decides every step. Writes nothing. */
export async function planInstall(opts: { packageRoot: string; prefix: string; gate?: boolean }): Promise<InstallPlan> {
  const prefix = resolve(opts.prefix);
  const at = (p: string) => join(prefix, p);
  const sources: InstallSource[] = [];

  const unitFrom = join(opts.packageRoot, "deploy/systemd/ds01.service");
  sources.push({ from: unitFrom, target: at(INSTALL_PATHS.unit), content: await readFile(unitFrom), mode: 0o644, owner: "package" });

  const skeleton = join(opts.packageRoot, "config/default");
  if (!(await exists(skeleton))) throw new Error(`the package has no config skeleton at ${skeleton}`);
  const dirs: InstallPlan["dirs"] = [
    { path: at("etc/systemd/system"), mode: 0o755 },
    { path: at(INSTALL_PATHS.configDir), mode: 0o755 },
    { path: at(INSTALL_PATHS.stateDir), mode: 0o750 },
  ];
  for (const rel of await filesUnder(skeleton)) {
    const target = join(at(INSTALL_PATHS.configDir), rel);
    const dir = dirname(target);
    if (!dirs.some((d) => d.path === dir)) dirs.push({ path: dir, mode: 0o755 });
    sources.push({ from: join(skeleton, rel), target, content: await readFile(join(skeleton, rel)), mode: 0o644, owner: "admin" });
  }

  if (opts.gate) {
    for (const f of GATE_FILES) {
      const dir = dirname(at(f.target));
      if (!dirs.some((d) => d.path === dir)) dirs.push({ path: dir, mode: 0o755 });
      sources.push({ from: join(opts.packageRoot, f.from), target: at(f.target), content: await readFile(join(opts.packageRoot, f.from)), mode: 0o644, owner: "package" });
    }
  }

  for (const d of dirs) d.exists = await exists(d.path);
  const steps: InstallStep[] = [];
  for (const s of sources) steps.push(planStep(s, await targetState(s.target)));

  const notes: string[] = [];
  if (!(await exists(at(INSTALL_PATHS.binary)))) {
    notes.push(
      `the unit runs /${INSTALL_PATHS.binary}, which does not exist` +
        (prefix === "/" ? `; link it: ln -s ${join(opts.packageRoot, "bin/ds01.js")} /${INSTALL_PATHS.binary}` : " under this prefix"),
    );
  }
  if (opts.gate) {
    const text = prefix === "/" ? await readFile("/etc/docker/daemon.json", "utf8").catch(() => "") : "";
    if (/"hosts"\s*:/.test(text)) notes.push('/etc/docker/daemon.json sets "hosts": remove it, or dockerd keeps listening where users can reach it (and refuses to start with -H fd://)');
    if (!/"userns-remap"\s*:/.test(text)) {
      notes.push('dockerd has no "userns-remap": root in a container is root on the host, so a file made setuid in a bind-mounted home runs as root there; set "userns-remap": "default" in /etc/docker/daemon.json or mount /home nosuid,nodev (docs/gate.md)');
    }
  }
  return { prefix, dirs, steps, notes };
}

/** Carries out the plan. Admin files are created with O_EXCL, so one that appears meanwhile is kept. */
export async function applyInstall(plan: InstallPlan): Promise<InstallStep[]> {
  for (const d of plan.dirs) await mkdir(d.path, { recursive: true, mode: d.mode });
  const done: InstallStep[] = [];
  for (const step of plan.steps) {
    const { target, content, mode } = step.source;
    if (step.action === "create") {
      try {
        await writeFile(target, content, { mode, flag: fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        done.push({ ...step, action: "keep", note: "appeared while installing; left alone" });
        continue;
      }
    } else if (step.action === "update") {
      const tmp = `${target}.ds01-install-${process.pid}`;
      try {
        await writeFile(tmp, content, { mode });
        await rename(tmp, target);
      } finally {
        await rm(tmp, { force: true });
      }
    }
    done.push(step);
  }
  return done;
}
