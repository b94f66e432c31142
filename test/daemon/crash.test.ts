// SIGKILL of the daemon in the middle of a pass, after a warning was delivered: the restarted
// daemon takes the lock at once, resumes from the store (idle streak and warning flags intact) and
// never repeats a warning. Real daemon child process, real container, the nvidia-smi stand-in.
import { beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { useTestContainers } from "../helpers/containers.js";
import { fullGpus, gpuUuid, writeFakeGpuState } from "../helpers/fake-gpus.js";
import { auditEvents, daemonDirs, ensureBuilt, startDaemon, until, type DaemonChild } from "./daemon-process.js";

const tc = useTestContainers("daemon-crash");
beforeAll(() => ensureBuilt(), 200_000);

/**
 * An 11 s idle timeout for plain docker containers, no grace, no window, no lead, a 2 s stop grace.
 * The CPU threshold is raised because a warning written into the container (`docker exec`) is CPU
 * activity of that container, which over a 2 s pass interval would count as "active" and reset the
 * idle clock; over the real 300 s interval it is noise.
 */
function fastIdle(yaml: string): string {
  return yaml
    .replace(/cpu_idle_threshold: [\d.]+/g, "cpu_idle_threshold: 50")
    .replace("probe_timeout_s: 2", "probe_timeout_s: 5")
    .replace(/idle_timeout_h: 0\.5(\s+max_runtime_h: 48)/, "idle_timeout_h: 0.003$1")
    .replace(/(max_runtime_h: 48\s+sigterm_grace_s:) 60/, "$1 2")
    .replace("grace_period_m: 30", "grace_period_m: 0")
    .replace(/idle_detection_window: \d/g, "idle_detection_window: 1")
    .replace("min_warning_lead_m: 5", "min_warning_lead_m: 0");
}

function record(stateDir: string, id: string) {
  const s = openStore(stateDir, { readonly: true });
  try {
    return s.get(id);
  } finally {
    s.close();
  }
}

describe("daemon killed mid-pass", () => {
  it("restarts without repeating a warning and with its idle streak intact", async () => {
    // Every full inventory takes 400 ms, so a kill right after "pass started" lands inside the pass.
    const gpus = await writeFakeGpuState({ gpus: fullGpus(1), hang_ms: 400, hang_modes: ["xml"] });
    const dirs = await daemonDirs(fastIdle);
    const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)] });
    const opts = { ...dirs, env: gpus.env, runId: tc.runId };
    const count = (type: string) => auditEvents(dirs.stateDir, type).filter((e) => e.containerId === c.id).length;

    let d: DaemonChild = await startDaemon(opts);
    try {
      expect(await until(() => count("container.idle_warning") === 1, 40_000), JSON.stringify(d.lines.slice(-10))).toBe(true);
      const before = record(dirs.stateDir, c.id);
      expect(before?.idleWarnedAt).not.toBeNull();
      const from = d.lines.length;
      expect(await d.waitForLog((l) => l.msg === "pass started", 10_000, from)).not.toBeNull();
      d.child.kill("SIGKILL");
      const killed = await d.exited;
      expect(killed.signal).toBe("SIGKILL");
      const midPass = !d.lines.slice(from).some((l) => l.msg === "pass finished");
      console.log(`[daemon] SIGKILL landed ${midPass ? "inside a pass" : "after the pass finished"}`);

      d = await startDaemon(opts);
      expect(await d.waitForLog((l) => l.msg === "pass finished", 20_000)).not.toBeNull();
      // The record outlived the crash: same idle clock, same first warning.
      const after = record(dirs.stateDir, c.id);
      expect(after?.idleSince).toBe(before!.idleSince);
      expect(after?.idleWarnedAt).toBe(before!.idleWarnedAt);
      expect(await until(() => count("container.idle_stop") === 1, 40_000), JSON.stringify(d.lines.slice(-10))).toBe(true);
      expect(count("container.idle_warning")).toBe(1);
      expect(count("container.idle_final_warning")).toBe(1);
      expect(count("container.idle_stop")).toBe(1);
      expect(d.lines.some((l) => l.msg === "listening")).toBe(true);
    } finally {
      await d.stop("SIGKILL");
    }
  });
});
