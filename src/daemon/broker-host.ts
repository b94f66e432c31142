// The daemon's allocation broker, hosted: it decides reservations with the running config's limits
// and records them through the daemon's store guard, from the daemon's event-fed view of Docker, or
// (when the janitor is scoped, so that view is partial) from a listing of every container.
import type { Observation, ReserveDeps } from "../allocation/allocator.js";
import { AllocationBroker } from "../allocation/broker/server.js";
import type { ReservationStore } from "../allocation/reservation-store.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { resolvePolicy } from "../config/resolve-policy.js";
import type { IdentityOptions } from "../docker/identity.js";
import { errorText } from "../errors.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { ObservedContainer } from "../model/container.js";
import type { GpuInventory } from "../model/gpu.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { listedAllocationView } from "./allocation-view.js";

export interface BrokerHostDeps {
  socketPath: string;
  reservations: ReservationStore;
  /** Lists every container (set when the janitor is scoped): the broker then decides from it. */
  listAll?: ((identity: IdentityOptions) => Promise<ObservedContainer[]>) | null;
  clock: Clock;
  log: Logger;
  /** The running config (limits follow reloads). */
  config(): LoadedConfig;
  /** Records a batch's decisions (one commit). */
  audit(events: AuditEvent[]): void;
  /** The daemon's own view (fleet and GPUs), or why it is not complete now. */
  daemonView(): Observation | { unavailable: string };
  inventory(): GpuInventory | null;
  gpuError(): string | null;
  identity(): IdentityOptions;
}

export class BrokerHost {
  private broker: AllocationBroker | null = null;

  constructor(private readonly d: BrokerHostDeps) {}

  /** Starts listening; a broker that cannot start is logged, not fatal (each caller then decides under the lock itself). */
  async start(): Promise<void> {
    const { d } = this;
    const broker = new AllocationBroker(d.socketPath, {
      allocator: () => this.reserveDeps(),
      audit: (events) => d.audit(events),
      observe: () => {
        const listAll = d.listAll;
        if (!listAll) return d.daemonView();
        return listedAllocationView({ inventory: d.inventory(), gpuError: d.gpuError(), listAll: () => listAll(d.identity()), now: () => d.clock.now() });
      },
      log: d.log,
    });
    try {
      await broker.start();
      this.broker = broker;
      d.log.info({ socket: d.socketPath }, "allocation broker listening");
    } catch (e) {
      d.log.warn({ socket: d.socketPath, error: errorText(e) }, "allocation broker not started");
    }
  }

  async stop(): Promise<void> {
    await this.broker?.stop();
  }

  /** The reserve inputs as of now: limits resolved once per user per batch, from the running config. */
  private reserveDeps(): ReserveDeps {
    const config = this.d.config();
    const now = this.d.clock.now();
    const limits = new Map<string, ReturnType<typeof resolvePolicy>["limits"]>();
    return {
      reservations: this.d.reservations,
      clock: this.d.clock,
      limitsFor: (user) => limits.get(user) ?? limits.set(user, resolvePolicy(config, user, now).limits).get(user)!,
    };
  }
}
