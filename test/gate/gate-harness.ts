// A real gate in front of the test engine, and real Unix users whose only Docker access is the
// gate's socket. Users and the group are created when missing (and only those created here are
// removed, by removeTestUsers); containers carry the test-run label and are removed by the caller.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { LABEL } from "../../src/constants/labels.js";
import { DS01_CGROUP } from "../../src/cgroups/names.js";

export const GATE_GROUP = "ds01gatetest";
// Quotas and container limits count every container a user has, so a test that counts must have
// its users to itself while other files run side by side: carol (gpus), dave, erin and frank (GPU
// concurrency), gina (container-count concurrency in review), henry, ivy and jack (the GPU queue), kate (MIG), leo (GPUs in compose and dev containers).
export const USERS = [
  "ds01gt-alice",
  "ds01gt-bob",
  "ds01gt-carol",
  "ds01gt-dave",
  "ds01gt-erin",
  "ds01gt-frank",
  "ds01gt-gina",
  "ds01gt-henry",
  "ds01gt-ivy",
  "ds01gt-jack",
  "ds01gt-kate",
  "ds01gt-leo",
  "ds01gt-admin",
] as const;
export const ADMIN_GROUP = "ds01gtadmins";
/** `gateKeys` for a benchmark: it is itself a flood of one user's requests, so the per-user rate (gate.max_requests_per_s) is off. */
export const UNTHROTTLED = "  max_requests_per_s: 0\n";
const ENGINE = "/var/run/docker.sock";
const BIN = join(import.meta.dirname, "../../bin/ds01.js");

async function sh(cmd: string, args: string[], timeoutMs = 30_000) {
  return execFileWithTimeout(cmd, args, { timeoutMs });
}

/** Creates the gate group, the admin group and the test users (idempotent). */
export async function ensureTestUsers(): Promise<void> {
  await ensureUsers(USERS);
}

/** The gate and admin groups, and these users (a test file that counts per user brings its own). */
export async function ensureUsers(users: readonly string[]): Promise<void> {
  for (const g of [GATE_GROUP, ADMIN_GROUP]) {
    if ((await sh("getent", ["group", g])).code !== 0) await sh("groupadd", [g]);
  }
  for (const u of users) {
    if ((await sh("id", [u])).code !== 0) {
      const groups = u === "ds01gt-admin" ? `${GATE_GROUP},${ADMIN_GROUP}` : GATE_GROUP;
      const r = await sh("useradd", ["-m", "-s", "/bin/sh", "-G", groups, u]);
      if (r.code !== 0) throw new Error(`useradd ${u}: ${r.stderr.toString()}`);
    }
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` (through sh) as `user`, with DOCKER_HOST at the gate. */
export async function asUser(user: string, command: string, env: Record<string, string>, timeoutMs = 60_000): Promise<RunResult> {
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, "'\\''")}';`)
    .join(" ");
  const r = await execFileWithTimeout("su", ["-s", "/bin/sh", user, "-c", `${exports} cd ~ && ${command}`], { timeoutMs });
  return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

export interface GateProcess {
  socket: string;
  dockerHost: string;
  stateDir: string;
  configDir: string;
  dir: string;
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
  /** The environment a test user's client needs. */
  env(extra?: Record<string, string>): Record<string, string>;
}

/**
 * `extraConfig`: resource-limits.yaml text appended to the bundled default config. `gpuWaitS`: the
 * GPU queue's wait (default 0 here, so a test that fills the GPUs gets its refusal at once).
 * `gateKeys`: more lines of the `gate:` section ("  key: value\n" each).
 */
/** `stateDir`: the gate's state directory (default: one inside its temp dir), e.g. a tmpfs a test fills up. */
export async function startGate(opts: { extraConfig?: string; engine?: string; userOverrides?: string; env?: Record<string, string>; gpuWaitS?: number; gateKeys?: string; stateDir?: string } = {}): Promise<GateProcess> {
  const dir = mkdtempSync(join(tmpdir(), "ds01-gate-"));
  chmodSync(dir, 0o755); // the test users must reach the socket inside
  const configDir = join(dir, "config");
  cpSync(join(import.meta.dirname, "../../config/default"), configDir, { recursive: true });
  const gateConfig = `\ngate:\n  socket_group: ${GATE_GROUP}\n  gpu_wait_s: ${opts.gpuWaitS ?? 0}\n${opts.gateKeys ?? ""}access_control:\n  admin_users: [root]\n  admin_group: ${ADMIN_GROUP}\n${opts.extraConfig ?? ""}\n`;
  writeFileSync(join(configDir, "resource-limits.yaml"), `${readDefault(configDir)}${gateConfig}`);
  // Test files run side by side as the same users: no container count limit unless a test sets one.
  const unlimited = USERS.map((u) => `${u}:\n  max_containers_per_user: null\n`).join("");
  writeFileSync(join(configDir, "user-overrides.yaml"), opts.userOverrides ?? unlimited);
  const stateDir = opts.stateDir ?? join(dir, "state");
  const socket = join(dir, "gate.sock");
  // DS01_GATE_NODE_ARGS: extra node flags for the gate (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p" to profile it in a bench).
  const nodeArgs = (process.env.DS01_GATE_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, BIN, "--config", configDir, "--state-dir", stateDir, "gate", "--socket", socket, "--engine", opts.engine ?? ENGINE], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DS01_LOG_LEVEL: "info", DS01_ALLOCATION_BROKER: "off", ...opts.env },
  });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gate did not start: ${output}`)), 20_000);
    const check = () => {
      if (output.includes('"gate: listening"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gate exited ${code}: ${output}`));
    });
  });
  const gate: GateProcess = {
    socket,
    dockerHost: `unix://${socket}`,
    stateDir,
    configDir,
    dir,
    child,
    log: () => output,
    env: (extra = {}) => ({ DOCKER_HOST: `unix://${socket}`, ...extra }),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
      removeEmptyTestParents();
    },
  };
  return gate;
}

/**
 * The gate gives test users of a group with an aggregate block a cgroup parent (cgroupfs, v1):
 * the empty ones of test users (ds01gt-*) go when a gate stops. A busy one stays (the kernel refuses).
 */
export function removeEmptyTestParents(root = "/sys/fs/cgroup"): void {
  const mine = /-ds01gt_/; // "ds01gt-alice" is named ds01gt_alice_<hash> in a parent's name
  for (const h of safeList(root)) {
    const top = join(root, h, DS01_CGROUP);
    for (const p of safeList(top)) if (mine.test(p)) tryRmdir(join(top, p));
    tryRmdir(top);
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // busy (a process or a child cgroup), or gone
  }
}

function readDefault(configDir: string): string {
  return readFileSync(join(configDir, "resource-limits.yaml"), "utf8");
}

/** Removes (as root, on the engine directly) every container of this test run. */
export async function removeRunContainers(runId: string): Promise<void> {
  const ps = await sh("docker", ["ps", "-aq", "--filter", `label=${LABEL.testRun}=${runId}`]);
  const ids = ps.stdout.toString().split("\n").filter(Boolean);
  if (ids.length) await sh("docker", ["rm", "-f", ...ids], 60_000);
}

/** Removes volumes and networks of this test run (they carry the test-run label too). */
export async function removeRunObjects(runId: string): Promise<void> {
  for (const kind of ["volume", "network"]) {
    const ls = await sh("docker", [kind, "ls", "-q", "--filter", `label=${LABEL.testRun}=${runId}`]);
    const ids = ls.stdout.toString().split("\n").filter(Boolean);
    if (ids.length) await sh("docker", [kind, "rm", ...ids], 60_000);
  }
}

/** Root's view of the engine (not through the gate). */
export async function engineJson(args: string[]): Promise<unknown> {
  const r = await sh("docker", args);
  return JSON.parse(r.stdout.toString() || "null");
}
