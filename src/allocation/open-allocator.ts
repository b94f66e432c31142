// Composition for the allocation commands: config, store, Docker, nvidia-smi → AllocatorDeps.
import type { CliContext } from "../cli/context.js";
import { loadConfig } from "../config/load-config.js";
import { locateConfigDir } from "../config/locate-config-dir.js";
import { resolvePolicy } from "../config/resolve-policy.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { containerCreator } from "../docker/create-container.js";
import { DockerRuntime } from "../docker/docker-runtime.js";
import { DEFAULT_IDENTITY_OPTIONS, identify } from "../docker/identity.js";
import { NvidiaSmiProbe } from "../gpu/nvidia-smi-probe.js";
import { defaultStateDir, openStore, type Store } from "../store/index.js";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { brokerClient } from "./broker/client.js";
import { openReservationDbReadonly, RESERVATION_DB_FILE } from "./reservation-store.js";
import { RefusedError } from "../errors.js";
import { storeAccess, unreadableStoreText } from "../store/store-access.js";
import { BROKER_SOCKET_FILE } from "./broker/protocol.js";
import type { CreateDeps } from "./create-flow.js";
import { openReservationDb } from "./reservation-store.js";
import { cgroupParts } from "../cgroups/wiring.js";
import { EngineClient } from "../docker/engine-client.js";

export interface OpenedAllocator {
  deps: CreateDeps;
  config: LoadedConfig;
  /** null when opened read-only. */
  store: Store | null;
  close(): void;
}

export interface OpenAllocatorOptions {
  /** For read commands (gpu status): nothing is created, and writing through the stores fails. */
  readonly?: boolean;
}

export async function openAllocator(ctx: CliContext, opts: OpenAllocatorOptions = {}): Promise<OpenedAllocator> {
  const { dir } = locateConfigDir(ctx);
  const config = await loadConfig(dir);
  const stateDir = defaultStateDir(ctx);
  if (opts.readonly) {
    const path = join(stateDir, RESERVATION_DB_FILE);
    const access = storeAccess(path);
    if (access.kind === "unreadable") throw new RefusedError(unreadableStoreText("the GPU reservations", path, access.why));
  }
  // The audit store is opened per request here (100 creates at once open it 100 times), so its
  // whole-file check is left to the daemon and the gate, which open it once; the reservations,
  // small, are checked at every open.
  const store = opts.readonly ? null : openStore(stateDir, { clock: ctx.clock, checkIntegrity: false });
  const reservations = opts.readonly ? openReservationDbReadonly(stateDir) : openReservationDb(stateDir);
  const runtime = new DockerRuntime();
  const probe = new NvidiaSmiProbe({ path: config.gpu.nvidia_smi, env: ctx.env, timeoutMs: config.gpu.probe_timeout_s * 1000 });
  const identity = { ...DEFAULT_IDENTITY_OPTIONS, infrastructurePrefixes: config.monitoring.infrastructure_containers };
  const policyCache = new Map<string, ReturnType<typeof resolvePolicy>>();
  const policyFor = (user: string) => {
    let p = policyCache.get(user);
    if (!p) policyCache.set(user, (p = resolvePolicy(config, user, ctx.clock.now())));
    return p;
  };
  const deps: CreateDeps = {
    reservations: reservations.store,
    clock: ctx.clock,
    listContainers: async () => (await runtime.list()).map((info) => ({ ...info, identity: identify(info, identity) })),
    inventory: () => probe.inventory(),
    limitsFor: (user) => policyFor(user).limits,
    resourceLimitsFor: (user) => policyFor(user).limits,
    appendEvent: (e) => {
      if (!store) throw new Error("bug: a read-only allocator appends no events");
      store.append(e);
    },
    creator: containerCreator(),
    hostCpus: availableParallelism(),
    // Only root writes cgroups; a non-root caller's create goes through the gate, which sets the parent.
    ...(ctx.uid === 0 ? { cgroups: cgroupParts({ info: () => new EngineClient().request({ method: "GET", path: "/info" }), config: () => config }).admission(() => config) } : {}),
    // DS01_ALLOCATION_BROKER=off: always decide here (tests of the local path; debugging).
    ...(ctx.env.DS01_ALLOCATION_BROKER === "off" ? {} : { broker: brokerClient(join(stateDir, BROKER_SOCKET_FILE)) }),
  };
  return {
    deps,
    config,
    store,
    close: () => {
      reservations.close();
      store?.close();
    },
  };
}
