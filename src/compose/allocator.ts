// The composition of the allocation commands (`create`, `gpu allocate|release|status`): config,
// audit store, reservations, Docker, nvidia-smi → CreateDeps.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { brokerClient } from "../allocation/broker/client.js";
import { BROKER_SOCKET_FILE } from "../allocation/broker/protocol.js";
import type { CreateDeps } from "../allocation/create-flow.js";
import { openReservationDb, openReservationDbReadonly, RESERVATION_DB_FILE } from "../allocation/reservation-store.js";
import { cgroupParts } from "../cgroups/wiring.js";
import { loadConfig } from "../config/load-config.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { locateConfigDir } from "../config/locate-config-dir.js";
import { resolvePolicy } from "../config/resolve-policy.js";
import { containerCreator } from "../docker/create-container.js";
import { listObserved } from "../docker/list-observed.js";
import { RefusedError } from "../errors.js";
import { containerRecordLookup } from "../gate/ownership.js";
import { defaultStateDir, type Store } from "../store/index.js";
import { storeAccess, unreadableStoreText } from "../store/store-access.js";
import { createLogger, logFormatFor } from "../util/log.js";
import { openAuditStore } from "./audit-store.js";
import { engineRuntime } from "./docker.js";
import { gpuProbe } from "./gpu-probe.js";
import type { HostContext } from "./host-context.js";
import { identityOptions } from "./identity.js";

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

export async function openAllocator(ctx: Omit<HostContext, "err">, opts: OpenAllocatorOptions = {}): Promise<OpenedAllocator> {
  const { dir } = locateConfigDir(ctx);
  const config = await loadConfig(dir);
  const stateDir = defaultStateDir(ctx);
  if (opts.readonly) {
    const path = join(stateDir, RESERVATION_DB_FILE);
    const access = storeAccess(path);
    if (access.kind === "unreadable") throw new RefusedError(unreadableStoreText("the GPU reservations", path, access.why));
  }
  const log = createLogger({ level: "warn", format: logFormatFor(ctx.env) });
  // The audit store is opened per request here (100 creates at once open it 100 times), so its
  // whole-file check is left to the daemon and the gate, which open it once; the reservations,
  // small, are checked at every open.
  const store = opts.readonly ? null : openAuditStore(stateDir, config, { clock: ctx.clock, checkIntegrity: false, log });
  const reservations = opts.readonly ? openReservationDbReadonly(stateDir) : openReservationDb(stateDir);
  // Allocation sees every container, whatever DS01_SCOPE_LABEL narrows the janitor to: a GPU held
  // outside the scope is still held.
  const engine = engineRuntime(ctx);
  const probe = gpuProbe(config, ctx.env);
  const identity = identityOptions(config, store ? containerRecordLookup(store) : undefined);
  const policyCache = new Map<string, ReturnType<typeof resolvePolicy>>();
  const policyFor = (user: string) => {
    let p = policyCache.get(user);
    if (!p) policyCache.set(user, (p = resolvePolicy(config, user, ctx.clock.now())));
    return p;
  };
  const deps: CreateDeps = {
    reservations: reservations.store,
    clock: ctx.clock,
    listContainers: () => listObserved(engine, identity),
    inventory: () => probe.inventory(),
    limitsFor: (user) => policyFor(user).limits,
    resourceLimitsFor: (user) => policyFor(user).limits,
    appendEvent: (e) => {
      if (!store) throw new Error("bug: a read-only allocator appends no events");
      store.append(e);
    },
    creator: containerCreator({ client: engine.client }),
    hostCpus: availableParallelism(),
    // Only root writes cgroups; a non-root caller's create goes through the gate, which sets the parent.
    ...(ctx.uid === 0 ? { cgroups: cgroupParts({ info: () => engine.client.request({ method: "GET", path: "/info" }), config: () => config }).admission(() => config) } : {}),
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
