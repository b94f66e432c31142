// The Docker event stream, on the real engine, for a container this file creates.
import { describe, expect, it } from "vitest";
import { DockerRuntime } from "../../src/docker/docker-runtime.js";
import type { ContainerEvent } from "../../src/model/ports.js";
import { LABEL } from "../../src/constants/labels.js";
import { useTestContainers } from "../helpers/containers.js";

const tc = useTestContainers("ev");
const runtime = new DockerRuntime({ timeoutMs: 20_000 });

async function waitFor(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe("DockerRuntime.events", () => {
  it("sees start and die of a test container, with its name and labels, until aborted", async () => {
    const seen: ContainerEvent[] = [];
    const ac = new AbortController();
    const done = runtime.events((e) => seen.push(e), ac.signal);
    await new Promise((r) => setTimeout(r, 300)); // stream connected
    const c = await tc.create({ cmd: "sleep 0.2", labels: { "ds01.user": "carol" } });
    const mine = () => seen.filter((e) => e.id === c.id);
    await waitFor(() => mine().some((e) => e.action === "die"), 15_000);
    ac.abort();
    await done; // resolves on abort

    const actions = mine().map((e) => e.action);
    expect(actions).toContain("start");
    expect(actions).toContain("die");
    const start = mine().find((e) => e.action === "start")!;
    expect(start.name).toBe(c.name);
    expect(start.labels["ds01.user"]).toBe("carol");
    expect(start.labels[LABEL.testRun]).toBe(tc.runId);
    expect(start.time).toBeGreaterThan(Date.now() - 60_000);
  });
});
