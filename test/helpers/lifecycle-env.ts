// A ds01 installation for one test: a config dir with tiny timeouts, a state dir, the nvidia-smi
// stand-in, a clock the test moves by hand, and ds01 commands run in-process through main().
import { mkdtemp, writeFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, ROOT } from "./cli.js";
import { LABEL } from "../../src/constants/labels.js";
import type { AuditEvent } from "../../src/model/audit-event.js";
import { openStore, STORE_FILE } from "../../src/store/index.js";
import { fullGpus, writeFakeGpuState, type FakeGpu, type FakeGpus } from "./fake-gpus.js";

/** Simulated minutes: the test clock moves, Docker's times stay real. */
export const MIN = 60_000;

export const LIFECYCLE_CONFIG = `
default_group: student
defaults:
  max_gpu_equivalents: 4
  idle_timeout_h: 1
  max_runtime_h: 10
  gpu_hold_after_stop_h: 0.25
  container_hold_after_stop_h: 0.5
groups:
  student: {}
  patient:
    members: [gina]
    container_hold_after_stop_h: 0.25 # the strictest hold: what unknown owners get
    policies:
      grace_period_m: 600
policies:
  gpu_idle_threshold: 5
  cpu_idle_threshold: 5
  network_idle_threshold: 1048576
  idle_detection_window: 2
  grace_period_m: 0
  keepalive_max_duration_h: 24
  sigterm_grace_s: 10
  min_warning_lead_m: 5
  created_container_timeout_m: 30
  high_demand_threshold: null
container_types:
  docker: { idle_timeout_h: 1, max_runtime_h: 10, sigterm_grace_s: 2 }
  compose: { idle_timeout_h: 1, max_runtime_h: 10, sigterm_grace_s: 8 }
  devcontainer: { idle_timeout_h: null, max_runtime_h: 10, sigterm_grace_s: 2 }
`;

export const LIFECYCLE_EXEMPTIONS = `
exemptions:
  - username: bob
    exempt_from: [idle_timeout_h]
    reason: thesis deadline
    expires_on: null
  - username: carol
    exempt_from: [max_runtime_h]
    reason: long training run
    expires_on: null
`;

export interface RunResult {
  code: number;
  out: string;
  err: string;
  json: unknown;
}

export interface LifecycleEnv {
  configDir: string;
  stateDir: string;
  gpus: FakeGpus;
  /** Moves the ds01 clock forward (Docker's own times do not move). */
  advance(ms: number): void;
  now(): number;
  ds01(args: string[]): Promise<RunResult>;
  check(extra?: string[]): Promise<{ code: number; report: CheckJson; err: string }>;
  events(type?: string): AuditEvent[];
}

export interface CheckJson {
  actions: { kind: string; reason: string; container: string | null; container_id: string | null; executed: boolean; error: string | null; pid?: number; gpu_uuid?: string | null }[];
  skipped: { container: string; container_id: string; why: string }[];
}

export async function lifecycleEnv(opts: { runId: string; gpus?: FakeGpu[]; config?: string; exemptions?: string }): Promise<LifecycleEnv> {
  const configDir = await mkdtemp(join(tmpdir(), "ds01-lc-config-"));
  const stateDir = await mkdtemp(join(tmpdir(), "ds01-lc-state-"));
  await writeFile(join(configDir, "resource-limits.yaml"), opts.config ?? LIFECYCLE_CONFIG);
  await writeFile(join(configDir, "lifecycle-exemptions.yaml"), opts.exemptions ?? LIFECYCLE_EXEMPTIONS);
  await mkdir(join(configDir, "groups"), { recursive: true });
  const gpus = await writeFakeGpuState({ gpus: opts.gpus ?? fullGpus(4) });
  let offset = 0;
  const env = { ...process.env, ...gpus.env, DS01_SCOPE_LABEL: `${LABEL.testRun}=${opts.runId}` };
  const ds01 = async (args: string[]): Promise<RunResult> => {
    const { code, out, err } = await runCli(["--config", configDir, "--state-dir", stateDir, ...args], { ...ROOT, env, clock: { now: () => Date.now() + offset } });
    let json: unknown = null;
    try {
      json = JSON.parse(out);
    } catch {
      /* not JSON */
    }
    return { code, out, err, json };
  };
  return {
    configDir,
    stateDir,
    gpus,
    advance: (ms) => void (offset += ms),
    now: () => Date.now() + offset,
    ds01,
    async check(extra = []) {
      const r = await ds01(["check", "--json", ...extra]);
      if (r.json === null) throw new Error(`ds01 check printed no JSON (exit ${r.code}): ${r.err}`);
      return { code: r.code, report: r.json as CheckJson, err: r.err };
    },
    events(type) {
      // No store at all (only dry runs so far, which create nothing): nothing recorded.
      if (!existsSync(join(stateDir, STORE_FILE))) return [];
      const store = openStore(stateDir, { readonly: true });
      try {
        return store.query(type ? { type } : {});
      } finally {
        store.close();
      }
    },
  };
}

/** The actions of one report for one container, as "kind:reason". */
export function actionsFor(report: CheckJson, containerId: string): string[] {
  return report.actions.filter((a) => a.container_id === containerId).map((a) => `${a.kind}:${a.reason}`);
}
