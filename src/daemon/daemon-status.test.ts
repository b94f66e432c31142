import { beforeAll, describe, expect, it } from "vitest";
import { container, gpu, gpuUuid, inventory } from "../../test/helpers/fleet.js";
import { bundledConfigDir } from "../config/locate-config-dir.js";
import { loadConfig } from "../config/load-config.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { DaemonMetrics } from "../metrics/daemon-metrics.js";
import type { AuditEvent } from "../model/audit-event.js";
import { fixedClock } from "../util/clock.js";
import { silentLogger } from "../util/log.js";
import { DaemonStatus } from "./daemon-status.js";
import { Fleet } from "./fleet.js";
import { StoreHealth } from "./store-health.js";

const T0 = 1_800_000_000_000;
let config: LoadedConfig;
beforeAll(async () => {
  config = await loadConfig(bundledConfigDir());
});

function setup() {
  const clock = fixedClock(T0);
  const metrics = new DaemonMetrics({ version: "test" });
  const fleet = new Fleet();
  const audit: AuditEvent[] = [];
  const storeHealth = new StoreHealth({ count: () => metrics.storeError(), log: silentLogger });
  const status = new DaemonStatus({ clock, log: silentLogger, metrics, fleet, storeHealth, store: { append: (e) => void audit.push(e) }, config: () => config, notifier: () => null });
  status.start();
  const dockerUp = async () => /^ds01_docker_up (\d)$/m.exec(await metrics.text())?.[1];
  return { clock, fleet, status, storeHealth, dockerUp };
}

/** A status whose stream came up at T0, listed at T0 + 1 s with one GPU read: a complete view. */
function complete() {
  const s = setup();
  s.status.streamUp();
  s.clock.advance(1000);
  s.fleet.replace([container({ id: "a", gpus: [gpuUuid(0)] })], s.clock.now());
  s.status.gpu.observed(inventory([gpu(0), gpu(1)]), s.clock.now());
  return s;
}

describe("DaemonStatus: the allocation broker's view", () => {
  it("is complete with the stream up since before the listing, a GPU inventory and a probe that answers", () => {
    const { status, clock } = complete();
    clock.advance(500);
    const v = status.allocationView();
    expect("unavailable" in v).toBe(false);
    if ("unavailable" in v) return;
    expect(v.slots.map((s) => s.uuid)).toEqual([gpuUuid(0), gpuUuid(1)]);
    expect(v.containers.map((c) => c.id)).toEqual(["a"]);
    expect(v).toMatchObject({ listedAt: T0 + 1000, currentAt: T0 + 1500, source: "daemon" });
  });

  it("is unavailable before the first listing", () => {
    const { status } = setup();
    status.streamUp();
    expect(status.allocationView()).toEqual({ unavailable: "the daemon has not listed Docker yet" });
  });

  it("is unavailable while the stream is down, and after it came back later than the listing", () => {
    const { status, clock, fleet } = complete();
    status.streamDown("connection reset");
    expect(status.allocationView()).toEqual({ unavailable: "Docker events since the daemon's last listing may have been missed" });
    clock.advance(1000);
    status.streamUp(); // up again, but events between the listing and now may be lost
    expect(status.allocationView()).toEqual({ unavailable: "Docker events since the daemon's last listing may have been missed" });
    clock.advance(1000);
    fleet.replace([], clock.now()); // a listing after it came back covers them
    expect("unavailable" in status.allocationView()).toBe(false);
  });

  it("is unavailable after an inspect failed since the listing, until the next listing", () => {
    const { status, clock, fleet } = complete();
    status.inspectFailed();
    expect(status.allocationView()).toEqual({ unavailable: "a container changed since the daemon's last listing could not be inspected" });
    clock.advance(1);
    fleet.replace([], clock.now());
    expect("unavailable" in status.allocationView()).toBe(false);
  });

  it("is unavailable without a GPU inventory, and while the probe fails", () => {
    const s = setup();
    s.status.streamUp();
    s.fleet.replace([], s.clock.now());
    expect(s.status.allocationView()).toEqual({ unavailable: "the daemon has no GPU inventory" });
    const { status } = complete();
    status.gpu.failed(new Error("nvidia-smi timed out"), "sample");
    expect(status.allocationView()).toEqual({ unavailable: "the daemon's GPU probe is failing: nvidia-smi timed out" });
  });
});

describe("DaemonStatus: /healthz and ds01_docker_up", () => {
  it("counts Docker as up only once a pass completed, Docker answered and the stream is connected", async () => {
    const { status, dockerUp } = setup();
    expect(await dockerUp()).toBe("0");
    status.streamUp();
    expect(await dockerUp()).toBe("0"); // no pass yet
    status.passCompleted();
    status.dockerAnswered();
    status.passSucceeded(T0);
    expect(await dockerUp()).toBe("1");
    status.streamDown("EOF");
    expect(await dockerUp()).toBe("0");
    status.streamUp();
    status.dockerUnavailable("connect ENOENT /var/run/docker.sock");
    expect(await dockerUp()).toBe("0");
  });

  it("names each problem, and the stream only while Docker itself answers", () => {
    const { status, clock, storeHealth } = setup();
    expect(status.health()).toMatchObject({ status: "degraded", reasons: ["docker event stream down: not connected yet"] });
    status.dockerUnavailable("connect ENOENT");
    expect(status.health().reasons).toEqual(["docker unreachable: connect ENOENT"]); // the stream is "not connected yet" too
    status.dockerAnswered();
    expect(status.health().reasons).toEqual(["docker event stream down: not connected yet"]);
    status.streamUp();
    status.gpu.failed(new Error("nvidia-smi hung"), "sample");
    storeHealth.failed(new Error("database or disk is full"), "recording GPU samples");
    expect(status.health().reasons).toEqual(["GPU probe failing: nvidia-smi hung", "store failing: recording GPU samples: database or disk is full"]);
    status.gpu.sampled(new Map());
    storeHealth.ok();
    clock.advance(3 * config.daemon.pass_interval_s * 1000 + 1000);
    expect(status.health().reasons).toEqual([`no successful pass since the start ${3 * config.daemon.pass_interval_s + 1} s ago`]);
    status.passSucceeded(clock.now());
    expect(status.health()).toMatchObject({ status: "ok", last_successful_pass_at: new Date(clock.now()).toISOString() });
  });

  it("shows the pass running since when it started, and none once it ended", () => {
    const { status, clock } = setup();
    clock.advance(5000);
    status.passStarted();
    expect(status.health().pass_running_since).toBe(new Date(T0 + 5000).toISOString());
    status.passEnded();
    expect(status.health().pass_running_since).toBeNull();
  });

  it("warns of a refused config edit (status stays ok) until one is applied", () => {
    const { status } = setup();
    status.streamUp();
    status.refused(["/etc/ds01/resource-limits.yaml:3:1: daemon: expected a mapping", "second problem"]);
    expect(status.health()).toMatchObject({ status: "ok", warnings: ["config reload failed, running the last good config: /etc/ds01/resource-limits.yaml:3:1: daemon: expected a mapping"] });
    status.applied();
    expect(status.health().warnings).toEqual([]);
  });

  it("tells the stream's first connection from a reconnection", () => {
    const { status } = setup();
    expect(status.streamUp()).toBe(false);
    expect(status.streamUp()).toBe(false); // still up: nothing was missed
    status.streamDown("EOF");
    expect(status.streamUp()).toBe(true);
  });
});
