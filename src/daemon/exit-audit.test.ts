import { describe, expect, it } from "vitest";
import { container, gpuUuid, T0 } from "../../test/helpers/fleet.js";
import { exitAudit } from "./exit-audit.js";

describe("exitAudit", () => {
  const c = container({ id: "c1", name: "train", owner: "alice", gpus: [gpuUuid(0), gpuUuid(1)] });

  it("audits the exit of a live GPU container and releases each GPU", () => {
    const ev = exitAudit(c, { how: "die", wasLive: true, now: T0, dockerTime: T0 - 40, detectedBy: "event" });
    expect(ev.map((e) => [e.type, e.details.gpu_uuid ?? null])).toEqual([
      ["container.exited", null],
      ["gpu.release", gpuUuid(0)],
      ["gpu.release", gpuUuid(1)],
    ]);
    expect(ev[0]).toMatchObject({ time: T0, user: "alice", container: "train", containerId: "c1", details: { gpus: [gpuUuid(0), gpuUuid(1)], docker_time: T0 - 40, detected_by: "event" } });
  });

  it("audits the removal of an already exited container without releasing twice", () => {
    const ev = exitAudit({ ...c, state: "exited" }, { how: "destroy", wasLive: false, now: T0, dockerTime: null, detectedBy: "pass" });
    expect(ev.map((e) => e.type)).toEqual(["container.destroyed"]);
    expect(ev[0]!.details).not.toHaveProperty("docker_time");
  });

  it("releases on removal of a container that was still live (rm -f)", () => {
    const ev = exitAudit(c, { how: "destroy", wasLive: true, now: T0, dockerTime: T0, detectedBy: "event" });
    expect(ev.map((e) => e.type)).toEqual(["container.destroyed", "gpu.release", "gpu.release"]);
    expect(ev[1]!.details.reason).toBe("container_removed");
  });

  it("records nothing for a container without GPUs", () => {
    expect(exitAudit(container({ gpus: [] }), { how: "die", wasLive: true, now: T0, dockerTime: T0, detectedBy: "event" })).toEqual([]);
  });
});
