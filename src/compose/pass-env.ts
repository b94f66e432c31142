// The composition of a pass: config, store, Docker, nvidia-smi, /proc, notifier → PassDeps.
// Constructors here do nothing but remember; nothing starts until a pass runs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadedConfig } from "../config/loaded-config.js";
import type { DockerRuntime } from "../docker/docker-runtime.js";
import { containerRecordLookup } from "../gate/ownership.js";
import { readQueueSnapshot } from "../gate/queue-snapshot.js";
import { ProcHostProcesses } from "../gpu/host-processes.js";
import type { GpuProbe } from "../model/ports.js";
import { createNotifier } from "../notify/notifier.js";
import { createActivitySampler } from "../pass/activity-sampler.js";
import { createPolicyView } from "../pass/policy-view.js";
import { syncHostReads, type HostReads } from "../signals/host-reads.js";
import { DEFAULT_KEEPALIVE_FILE } from "../constants/keepalive.js";
import type { PassDeps } from "../pass/run-pass.js";
import { defaultStateDir, STORE_FILE, type Store } from "../store/index.js";
import { storeAccess, unreadableStoreText } from "../store/store-access.js";
import { createLogger, logFormatFor, type Logger } from "../util/log.js";
import { openAuditStore } from "./audit-store.js";
import { engineRuntime, janitorRuntime, oneShotEngineRuntime } from "./docker.js";
import { gpuProbe } from "./gpu-probe.js";
import type { HostContext } from "./host-context.js";
import { identityOptions } from "./identity.js";
import { startOneShot, type OneShotStart } from "./one-shot-start.js";

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

/** Adapters a caller made already: one-shot commands pass theirs (one-shot-start.ts); the daemon none. */
export interface PreparedAdapters {
  docker?: DockerRuntime;
  probe?: GpuProbe;
  /** How /proc and cgroup counters are read (one-shot commands: synchronously). */
  hostReads?: HostReads;
}

export function depsFor(ctx: Pick<HostContext, "env" | "stateDir" | "uid" | "clock">, config: LoadedConfig, store: Store, log: Logger, prepared: PreparedAdapters = {}): PassDeps {
  // The janitor's view is scoped (DS01_SCOPE_LABEL); allocation's never is (everyContainerLister).
  const runtime = janitorRuntime(ctx, prepared.docker ?? engineRuntime(ctx));
  const probe = prepared.probe ?? gpuProbe(config, ctx.env);
  const host = new ProcHostProcesses();
  // One resolution per owner for this config (the view caches it); keepalive_file does not change with time.
  const policies = createPolicyView(config, ctx.clock.now());
  const keepaliveFile = (owner: string) => policies.forOwner(owner).policies.keepalive_file ?? DEFAULT_KEEPALIVE_FILE;
  return {
    config,
    store,
    runtime,
    probe,
    host,
    sampler: createActivitySampler(runtime, undefined, undefined, prepared.hostReads),
    identity: identityOptions(config, containerRecordLookup(store)),
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

export async function openPassEnv(ctx: HostContext, opts: PassEnvOptions = {}): Promise<PassEnv> {
  const log = opts.log ?? createLogger({ level: "warn", format: logFormatFor(ctx.env) });
  const { config, dir, probe } = opts.started ?? (await startOneShot(ctx));
  const stateDir = defaultStateDir(ctx);
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
  const store = openAuditStore(storeDir, config, { readonly: readonly && !fresh, clock: ctx.clock, log });
  const close = () => {
    store.close();
    if (fresh) rmSync(storeDir, { recursive: true, force: true });
  };
  return { config, configDir: dir, stateDir, store, deps: depsFor(ctx, config, store, log, { docker: oneShotEngineRuntime(ctx), probe, hostReads: syncHostReads }), close };
}
