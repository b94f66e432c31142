import { describe, expect, it } from "vitest";
import { container, gpu, gpuUuid, HOUR, inventory, policy, policyView, snapshot, T0 } from "../../test/helpers/fleet.js";
import { explainContainer } from "./explain.js";
import { isHighDemand } from "./high-demand.js";

describe("isHighDemand", () => {
  it.each([
    { ratio: 0.9, threshold: 0.8, waiting: 0, high: true },
    { ratio: 0.5, threshold: 0.8, waiting: 0, high: false },
    { ratio: 0.5, threshold: 0.8, waiting: 1, high: true }, // someone waits for a GPU
    { ratio: null, threshold: 0.8, waiting: 2, high: true },
    { ratio: null, threshold: 0.8, waiting: 0, high: false },
    { ratio: 1, threshold: null, waiting: 3, high: false }, // the mode is off
  ])("ratio $ratio, threshold $threshold, $waiting waiting → $high", ({ ratio, threshold, waiting, high }) => {
    expect(isHighDemand(ratio, threshold, waiting)).toBe(high);
  });
});

describe("the planner under a GPU queue", () => {
  it("shortens the idle timeout while a GPU create waits, as high demand does", () => {
    const c = container({ name: "x", startedAt: T0 - 2 * HOUR, gpus: [gpuUuid(0)] });
    const base = snapshot({ containers: [c], gpus: inventory([gpu(0), gpu(1), gpu(2), gpu(3)]) });
    const view = policyView({}, policy({ policies: { high_demand_threshold: 0.8, high_demand_idle_reduction: 0.5 } }));
    const calm = explainContainer(base, view, c, null);
    const waiting = explainContainer({ ...base, gpuQueueWaiting: 1 }, view, c, null);
    expect(calm.idle?.highDemand).toBe(false);
    expect(waiting.idle?.highDemand).toBe(true);
    expect(waiting.idleTimeoutS).toBe(calm.idleTimeoutS! * 0.5);
  });
});
