// The composition root for passes: config, store, Docker, nvidia-smi, /proc, notifier → PassDeps.
// Constructors here do nothing but remember; nothing starts until a pass runs.
import { readQueueSnapshot } from "../gate/queue-snapshot.js";
import { containerRecordLookup } from "../gate/ownership.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliContext } from "../cli/context.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { locateConfigDir } from "../config/locate-config-dir.js";
import { DockerRuntime } from "../docker/docker-runtime.js";
import { identify, type IdentityOptions } from "../docker/identity.js";
import type { ObservedContainer } from "../model/container.js";
import type { GpuProbe } from "../model/ports.js";
import { NvidiaSmiProbe } from "../gpu/nvidia-smi-probe.js";
import { ProcHostProcesses } from "../gpu/host-processes.js";
import { createNotifier } from "../notify/notifier.js";
import { createJsonlSink, defaultStateDir, openStore, STORE_FILE, type Store } from "../store/index.js";
import { storeAccess, unreadableStoreText } from "../store/store-access.js";
import { createLogger, logFormatFor, type Logger } from "../util/log.js";
import { createActivitySampler } from "./activity-sampler.js";
import { oneShotDockerRuntime } from "./one-shot-runtime.js";
import { startOneShot, type OneShotStart } from "./one-shot-start.js";
import { parseScope, scopedRuntime } from "./scoped-runtime.js";
import type { PassDeps } from "./run-pass.js";

export interface PassEnvOptions {
  log?: Logger;
  /** Open the store read-only (dry runs, explain). */
  readonlyStore?: boolean;
  /** The config and GPU probe, when the command started them before loading this module. */
  started?: OneShotStart;
}

export interface PassEnv {
  config: LoadedConfig;
  configDir: string;
  stateDir: string;
  store: Store;
  deps: PassDeps;
  close(): void;
}

/** The config, loaded and validated now (the daemon, the gate); one-shot commands use loadOneShotConfig. */
export async function loadContextConfig(ctx: CliContext): Promise<{ config: LoadedConfig; dir: string }> {
  const { dir } = locateConfigDir(ctx);
  const { loadConfig } = await import("../config/load-config.js"); // YAML and schemas: only when needed
  return { config: await loadConfig(dir), dir };
}

/**
 * Where DS01_SCOPE_LABEL narrows the janitor, allocation must still see every container: this
 * lists them all (unscoped), identified; null when no scope is set (the daemon's fleet is complete).
 */
export function everyContainerLister(ctx: CliContext): ((identity: IdentityOptions) => Promise<ObservedContainer[]>) | null {
  if (!parseScope(ctx.env.DS01_SCOPE_LABEL)) return null;
  const runtime = new DockerRuntime({});
  return async (identity) => (await runtime.list()).map((info) => ({ ...info, identity: identify(info, identity) }));
}

/** Adapters a caller made already: one-shot commands pass theirs (one-shot-start.ts); the daemon none. */
export interface PreparedAdapters {
  docker?: DockerRuntime;
  probe?: GpuProbe;
}

export function depsFor(ctx: CliContext, config: LoadedConfig, store: Store, log: Logger, prepared: PreparedAdapters = {}): PassDeps {
  // DS01_SCOPE_LABEL narrows the janitor to containers with that label (staged rollouts, shared
  // test engines); never allocation (everyContainerLister).
  const runtime = scopedRuntime(prepared.docker ?? new DockerRuntime({}), parseScope(ctx.env.DS01_SCOPE_LABEL));
  const probe = prepared.probe ?? new NvidiaSmiProbe({ path: config.gpu.nvidia_smi, timeoutMs: config.gpu.probe_timeout_s * 1000, env: ctx.env });
  const host = new ProcHostProcesses();
  const keepaliveFile = (config.policies as { keepalive_file?: string }).keepalive_file ?? "/workspace/.keep-alive";
  return {
    config,
    store,
    runtime,
    probe,
    host,
    sampler: createActivitySampler(runtime),
    identity: {
      infrastructurePrefixes: config.monitoring.infrastructure_containers,
      protectedLabel: config.monitoring.infrastructure_label,
      gateRecord: containerRecordLookup(store),
    },
    dcgmExporterUrl: config.gpu.dcgm_exporter_url,
    keepaliveFile,
    gpuQueue: () => readQueueSnapshot(defaultStateDir(ctx)),
    gpuSamples: {
      maxSince(uuid, since) {
        const samples = store.gpuSamplesSince(uuid, since);
        if (samples.length === 0) return undefined;
        if (samples.some((s) => s.utilPct === null)) return null;
        return Math.max(...samples.map((s) => s.utilPct as number));
      },
    },
    notifier: createNotifier(config.notifications, runtime, { clock: ctx.clock, logger: log }),
    clock: ctx.clock,
    log,
    guard: { protectedLabel: config.monitoring.infrastructure_label, infrastructurePrefixes: config.monitoring.infrastructure_containers },
    kill: { termWaitMs: 10_000, killWaitMs: 5_000, pollMs: 100, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
  };
}

export async function openPassEnv(ctx: CliContext, opts: PassEnvOptions = {}): Promise<PassEnv> {
  const log = opts.log ?? createLogger({ level: "warn", format: logFormatFor(ctx.env) });
  const { config, dir, probe } = opts.started ?? (await startOneShot(ctx));
  const stateDir = defaultStateDir(ctx);
  const mirror = config.events.jsonl_path ? createJsonlSink(config.events.jsonl_path) : undefined;
  // A read-only command on a machine where no pass ever ran, or run by a user who may not read the
  // state directory (0750 root), reads an empty, throw-away store: it judges from what it sees now,
  // and says so when there is a store it may not read.
  const readonly = opts.readonlyStore ?? false;
  const access = readonly ? storeAccess(join(stateDir, STORE_FILE)) : null;
  if (access?.kind === "unreadable") {
    ctx.err(`ds01: note: ${unreadableStoreText("the system's records", join(stateDir, STORE_FILE), access.why)}; judging only from what is visible now (no recorded idle streaks, warnings or runtimes)\n`);
  }
  const fresh = access !== null && access.kind !== "readable";
  const storeDir = fresh ? mkdtempSync(join(tmpdir(), "ds01-empty-")) : stateDir;
  const store = openStore(storeDir, { readonly: readonly && !fresh, clock: ctx.clock, mirror, onMirrorError: (e) => log.warn({ error: String(e) }, "events.jsonl mirror write failed") });
  const close = () => {
    store.close();
    if (fresh) rmSync(storeDir, { recursive: true, force: true });
  };
  return { config, configDir: dir, stateDir, store, deps: depsFor(ctx, config, store, log, { docker: oneShotDockerRuntime(ctx), probe }), close };
}
