// ProcHostProcesses: a fake procfs tree (real files in a temp dir) for the cgroup layouts, and the
// real engine for the one thing a fake can't prove: a container's init PID maps to its id.
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/constants/labels.js";
import { InvalidInputError } from "../../src/errors.js";
import { ProcHostProcesses } from "../../src/gpu/host-processes.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";

const ID = "0123456789abcdef".repeat(4);

describe("ProcHostProcesses on a fake procfs tree", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "ds01-proc-"));
    const files: Record<number, string | null> = {
      101: `12:memory:/docker/${ID}\n1:name=systemd:/docker/${ID}\n`,
      102: `0::/system.slice/docker-${ID}.scope\n`,
      103: `0::/docker/${ID}\n`,
      104: "0::/user.slice/user-1000.slice/session-2.scope\n",
      105: null, // a process directory without a readable cgroup file
    };
    for (const [pid, text] of Object.entries(files)) {
      await mkdir(join(root, pid), { recursive: true });
      if (text !== null) await writeFile(join(root, pid, "cgroup"), text);
    }
  });

  it.each([
    [101, true, ID],
    [102, true, ID],
    [103, true, ID],
    [104, true, null],
    [105, true, null],
    [999, false, null],
  ])("pid %d: exists %s, container %s", async (pid, exists, id) => {
    const host = new ProcHostProcesses(root);
    expect(await host.exists(pid)).toBe(exists);
    expect(await host.containerOf(pid)).toBe(id);
  });

  it.each([0, -1, 1.5, Number.NaN])("pid %d never exists", async (pid) => {
    expect(await new ProcHostProcesses(root).exists(pid)).toBe(false);
  });
});

describe("ProcHostProcesses.signal", () => {
  it.each([0, 1, -1, 2.5])("refuses pid %d (process groups, everything, init)", async (pid) => {
    await expect(new ProcHostProcesses().signal(pid, "SIGTERM")).rejects.toThrow(InvalidInputError);
  });

  it("a PID that is gone is not an error", async () => {
    // The highest PID the kernel can hand out + 1 never exists.
    await expect(new ProcHostProcesses().signal(4_194_305, "SIGTERM")).resolves.toBeUndefined();
  });
});

describe("ProcHostProcesses on the real engine", () => {
  const run = `gpu-host-processes-${process.pid}`;
  let containerId = "";
  let initPid = 0;

  beforeAll(async () => {
    const r = await execFileWithTimeout("docker", ["run", "-d", "--label", `${LABEL.testRun}=${run}`, TEST_IMAGE, "sleep", "300"], { timeoutMs: 60_000 });
    expect(r.code, r.stderr.toString()).toBe(0);
    containerId = r.stdout.toString().trim();
    const pid = await execFileWithTimeout("docker", ["inspect", "-f", "{{.State.Pid}}", containerId], { timeoutMs: 20_000 });
    initPid = Number(pid.stdout.toString().trim());
  });

  afterAll(async () => {
    if (containerId) await execFileWithTimeout("docker", ["rm", "-f", containerId], { timeoutMs: 60_000 });
  });

  it("attributes the container's init PID to the container", async () => {
    const host = new ProcHostProcesses();
    expect(initPid).toBeGreaterThan(1);
    expect(await host.exists(initPid)).toBe(true);
    expect(await host.containerOf(initPid)).toBe(containerId);
  });

  it("a host process (this test) belongs to no container", async () => {
    const host = new ProcHostProcesses();
    expect(await host.exists(process.pid)).toBe(true);
    expect(await host.containerOf(process.pid)).toBeNull();
  });

  it("identity: this process's start time (field 22 of stat) and names; none for a PID that doesn't exist", async () => {
    const id = await new ProcHostProcesses().identity(process.pid);
    const stat = readFileSync(`/proc/${process.pid}/stat`, "utf8");
    expect(id?.startTicks).toBe(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    expect(id?.comm).toBe(readFileSync(`/proc/${process.pid}/comm`, "utf8").trim());
    expect(id?.argv0).toMatch(/node/);
    expect(await new ProcHostProcesses().identity(4_194_305)).toBeNull();
  });

  it("a PID that doesn't exist: exists=false, no container", async () => {
    const host = new ProcHostProcesses();
    expect(await host.exists(4_194_305)).toBe(false);
    expect(await host.containerOf(4_194_305)).toBeNull();
  });
});
