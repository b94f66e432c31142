// The in-container alert file against a real container on the real Docker engine.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/constants/labels.js";
import { DockerRuntime } from "../../src/docker/docker-runtime.js";
import { appendToContainerFile } from "../../src/notify/container-file-channel.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";

const RUN = `notify-file-${process.pid}`;
const runtime = new DockerRuntime();
let running: string;
let stopped: string;

async function docker(...args: string[]): Promise<string> {
  const r = await execFileWithTimeout("docker", args, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

beforeAll(async () => {
  running = await docker("run", "-d", "--label", `${LABEL.testRun}=${RUN}`, TEST_IMAGE, "sleep", "300");
  stopped = await docker("create", "--label", `${LABEL.testRun}=${RUN}`, TEST_IMAGE, "sleep", "300");
});

afterAll(async () => {
  const ids = (await docker("ps", "-aq", "--filter", `label=${LABEL.testRun}=${RUN}`)).split("\n").filter(Boolean);
  if (ids.length > 0) await docker("rm", "-f", ...ids);
});

describe("appendToContainerFile (real container)", () => {
  it("creates /workspace and appends each block to /workspace/.ds01-alerts", async () => {
    const first = await appendToContainerFile(runtime, running, "=== first block ===\n[WARNING] IDLE CONTAINER: x\n");
    expect(first).toEqual({ channel: "container_file", target: `container ${running.slice(0, 12)}:/workspace/.ds01-alerts`, ok: true, error: null });
    const second = await appendToContainerFile(runtime, running, "=== second block ===\nno trailing newline");
    expect(second.ok).toBe(true);
    expect(await docker("exec", running, "cat", "/workspace/.ds01-alerts")).toBe(
      "=== first block ===\n[WARNING] IDLE CONTAINER: x\n=== second block ===\nno trailing newline",
    );
  });

  it("a configured path with spaces and shell characters is taken literally", async () => {
    const path = "/tmp/odd dir/$(touch /tmp/pwned);.alerts";
    const r = await appendToContainerFile(runtime, running, "hello\n", { path });
    expect(r.ok).toBe(true);
    expect(await docker("exec", running, "cat", path)).toBe("hello");
    await expect(docker("exec", running, "test", "-e", "/tmp/pwned")).rejects.toThrow();
  });

  it("failures are returned, never thrown", async () => {
    const notRunning = await appendToContainerFile(runtime, stopped, "x");
    expect(notRunning.ok).toBe(false);
    expect(notRunning.error).toBeTruthy();

    const gone = await appendToContainerFile(runtime, "ds01-no-such-container-" + RUN, "x");
    expect(gone.ok).toBe(false);

    const unwritable = await appendToContainerFile(runtime, running, "x", { path: "/proc/ds01/alerts" });
    expect(unwritable).toMatchObject({ ok: false, error: expect.stringMatching(/exit status [1-9]/) });

    const relative = await appendToContainerFile(runtime, running, "x", { path: "../etc/alerts" });
    expect(relative.ok).toBe(false);
  });
});
