// The in-container alert file against a real container on the real Docker engine.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/constants/labels.js";
import { DockerRuntime } from "../../src/docker/docker-runtime.js";
import { appendToContainerFile } from "../../src/notify/container-file-channel.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { NO_SHELL_IMAGE, TEST_IMAGE, ensureNoShellImage } from "../helpers/docker-env.js";

const RUN = `notify-file-${process.pid}`;
const runtime = new DockerRuntime();
let running: string;
let stopped: string;
let noShell: string;

async function docker(...args: string[]): Promise<string> {
  const r = await execFileWithTimeout("docker", args, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

beforeAll(async () => {
  running = await docker("run", "-d", "--label", `${LABEL.testRun}=${RUN}`, TEST_IMAGE, "sleep", "300");
  stopped = await docker("create", "--label", `${LABEL.testRun}=${RUN}`, TEST_IMAGE, "sleep", "300");
  await ensureNoShellImage();
  noShell = await docker("run", "-d", "--label", `${LABEL.testRun}=${RUN}`, NO_SHELL_IMAGE, "/bin/busybox", "sleep", "300");
}, 120_000);

/** A file's text, copied out through the archive endpoint (works without a shell in the container). */
async function copyOut(id: string, path: string): Promise<string> {
  const r = await execFileWithTimeout("sh", ["-c", 'docker cp "$1:$2" - | tar -xO', "sh", id, path], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(r.stderr.toString());
  return r.stdout.toString();
}

afterAll(async () => {
  const ids = (await docker("ps", "-aq", "--filter", `label=${LABEL.testRun}=${RUN}`)).split("\n").filter(Boolean);
  if (ids.length > 0) await docker("rm", "-f", ...ids);
});

describe("appendToContainerFile (real container)", () => {
  it("creates /workspace and appends each block to /workspace/.ds01-alerts", async () => {
    const first = await appendToContainerFile(runtime, running, "=== first block ===\n[WARNING] IDLE CONTAINER: x\n");
    // The directory is there: the archive endpoint, no process in the container.
    expect(first).toEqual({ channel: "container_file", target: `container ${running.slice(0, 12)}:/workspace/.ds01-alerts`, ok: true, error: null, via: "archive" });
    const second = await appendToContainerFile(runtime, running, "=== second block ===\nno trailing newline");
    expect(second).toMatchObject({ ok: true, via: "archive" });
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

  it("a container without a shell: the archive endpoint creates the directory and appends", async () => {
    await expect(docker("exec", noShell, "sh", "-c", "true")).rejects.toThrow();
    const first = await appendToContainerFile(runtime, noShell, "=== one ===\n");
    expect(first).toMatchObject({ ok: true, error: null });
    const second = await appendToContainerFile(runtime, noShell, "=== two ===\n");
    expect(second).toMatchObject({ ok: true, error: null, via: "archive" });
    expect(await copyOut(noShell, "/workspace/.ds01-alerts")).toBe("=== one ===\n=== two ===\n");
  });

  it("an existing file keeps its owner and mode; a directory or a symlink in its place is not clobbered", async () => {
    await docker("exec", running, "sh", "-c", "mkdir -p /srv/u && printf 'old\\n' > /srv/u/alerts && chown 1234:2345 /srv/u/alerts && chmod 600 /srv/u/alerts");
    const r = await appendToContainerFile(runtime, running, "new\n", { path: "/srv/u/alerts" });
    expect(r).toMatchObject({ ok: true, via: "archive" });
    expect(await docker("exec", running, "stat", "-c", "%u %g %a", "/srv/u/alerts")).toBe("1234 2345 600");
    expect(await docker("exec", running, "cat", "/srv/u/alerts")).toBe("old\nnew");

    await docker("exec", running, "sh", "-c", "mkdir -p /srv/u/adir && ln -s /etc/passwd /srv/u/link");
    const dirThere = await appendToContainerFile(runtime, noShell, "x\n", { path: "/bin" });
    expect(dirThere.ok).toBe(false);
    expect(dirThere.error).toMatch(/not a regular file/);
    const passwd = await docker("exec", running, "cat", "/etc/passwd");
    // In a container with a shell the exec fallback appends as the container's user would (as before).
    await appendToContainerFile(runtime, running, "via link\n", { path: "/srv/u/link" });
    expect(await docker("exec", running, "sh", "-c", "test -L /srv/u/link && echo link")).toBe("link");
    expect((await docker("exec", running, "cat", "/etc/passwd")).startsWith(passwd)).toBe(true);
  });
});
