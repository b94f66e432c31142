// Reacts to Docker container events between passes: keeps the fleet picture current and, when a
// GPU container exits or is removed, audits it and releases its GPUs at once (store first, then
// the gauges read the fleet), and asks for a pass soon so the GPU's health is checked.
// Level-triggered all the same: the next pass re-lists everything and corrects any miss.
import { identify, type IdentityOptions } from "../docker/identity.js";
import { errorText } from "../errors.js";
import type { ContainerInfo, ObservedContainer } from "../model/container.js";
import type { ContainerEvent, ContainerRuntime, RecordStore } from "../model/ports.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { exitAudit, type ExitFacts } from "./exit-audit.js";
import { holdsGpu, type Fleet } from "./fleet.js";
import { notStopped } from "../model/container.js";

export interface ContainerEventDeps {
  fleet: Fleet;
  runtime: () => Pick<ContainerRuntime, "inspect">;
  identity: () => IdentityOptions;
  store: Pick<RecordStore, "commit">;
  clock: Clock;
  log: Logger;
  requestPass(why: string, delayMs: number): void;
  /** How soon after a GPU exit the follow-up pass runs (debounce). */
  exitPassDelayMs: number;
  /** An inspect after an event failed: the picture may lack that container until the next listing. */
  onInspectFailed?(id: string): void;
}

export class ContainerEventHandler {
  constructor(private readonly d: ContainerEventDeps) {}

  handle(e: ContainerEvent): void {
    switch (e.action) {
      case "create":
      case "start":
      case "restart":
      case "pause":
      case "unpause":
        this.refresh(e.id);
        return;
      case "die": {
        const before = this.d.fleet.markStopped(e.id, this.d.clock.now(), e.time);
        const facts = { how: "die", wasLive: true, dockerTime: e.time, detectedBy: "event" } as const;
        if (before) {
          if (notStopped(before.state)) this.account(before, facts);
        } else {
          // Not listed yet (started since the last pass): its DeviceRequests tell which GPUs it had.
          const gen = this.d.fleet.generation(e.id);
          void this.inspectThen(e.id, (c) => {
            this.d.fleet.upsert(c, gen);
            this.account(c, facts);
          }, gen);
        }
        return;
      }
      case "stop":
        this.d.fleet.markStopped(e.id, this.d.clock.now(), e.time);
        return;
      case "destroy": {
        const before = this.d.fleet.forget(e.id, this.d.clock.now()) ?? this.fromEvent(e);
        this.account(before, { how: "destroy", wasLive: notStopped(before.state), dockerTime: e.time, detectedBy: "event" });
        return;
      }
      default:
        return;
    }
  }

  /** Audits an exit found by a pass's re-list (the event was missed, e.g. while Docker restarted). */
  accountMissed(c: ObservedContainer, how: ExitFacts["how"]): void {
    this.account(c, { how, wasLive: true, dockerTime: null, detectedBy: "pass" });
  }

  private account(c: ObservedContainer, f: Omit<ExitFacts, "now">): void {
    const now = this.d.clock.now();
    const events = exitAudit(c, { ...f, now });
    if (events.length === 0) return;
    this.d.store.commit([], events);
    this.d.log.info(
      { container: c.name, container_id: c.id.slice(0, 12), owner: c.identity.owner, gpus: c.identity.gpus, how: f.how, detected_by: f.detectedBy, ...(f.dockerTime !== null ? { latency_ms: now - f.dockerTime } : {}) },
      "gpu container exit recorded",
    );
    if (f.wasLive && holdsGpu(c)) this.d.requestPass("gpu container exited", this.d.exitPassDelayMs);
  }

  private refresh(id: string): void {
    const gen = this.d.fleet.bump(id, this.d.clock.now());
    void this.inspectThen(id, (c) => void this.d.fleet.upsert(c, gen), gen);
  }

  /** Inspects a container; `then` runs only if it still exists (and no newer event came in, when `gen` is given). */
  private async inspectThen(id: string, then: (c: ObservedContainer) => void, gen?: number): Promise<void> {
    try {
      const info = await this.d.runtime().inspect(id);
      if (!info) return;
      if (gen !== undefined && this.d.fleet.generation(id) !== gen) return;
      then({ ...info, identity: identify(info, this.d.identity()) });
    } catch (e) {
      this.d.log.warn({ container_id: id.slice(0, 12), error: errorText(e) }, "inspect after docker event failed");
      this.d.onInspectFailed?.(id);
    }
  }

  /** A container ds01 never listed: what its event's labels say (ids from DeviceRequests are unknown). */
  private fromEvent(e: ContainerEvent): ObservedContainer {
    const info: ContainerInfo = {
      id: e.id, name: e.name ?? e.id.slice(0, 12), image: "", labels: e.labels, state: "exited", createdAt: e.time, startedAt: null, finishedAt: e.time,
      restartCount: 0, pid: null, deviceRequestGpuIds: [], requestsGpu: false, cgroupParent: null, nvidiaVisibleDevices: null,
    };
    return { ...info, identity: identify(info, this.d.identity()) };
  }
}
