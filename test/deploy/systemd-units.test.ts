import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadUnit, parseUnit, seconds, value } from "./unit-file.js";
import { repoPath, runTool, skipReason, which } from "./tools.js";

const DAEMON = repoPath("deploy/systemd/ds01.service");
const DCGM = repoPath("deploy/systemd/ds01-dcgm-exporter.service");
const GATE = repoPath("deploy/systemd/ds01-gate.service");

describe("ds01-gate.service (the Docker API gate)", () => {
  const u = loadUnit(GATE);
  it("runs `ds01 gate` on /run/docker.sock in front of the moved engine socket, restarting at once", () => {
    expect(value(u, "Service", "ExecStart")).toBe("/usr/local/bin/ds01 --config /etc/ds01 --state-dir /var/lib/ds01 gate --socket /run/docker.sock --engine /run/ds01/engine.sock");
    expect(value(u, "Service", "Restart")).toBe("always");
    expect(seconds(value(u, "Service", "RestartSec")!)).toBeLessThanOrEqual(1);
    expect(value(u, "Unit", "Requires")).toBeUndefined();
    expect(value(u, "Service", "ReadWritePaths")).toBe("/run");
    expect(value(u, "Service", "CapabilityBoundingSet")!.split(/\s+/)).toEqual(expect.arrayContaining(["CAP_CHOWN", "CAP_DAC_OVERRIDE"]));
  });
  it("reloads with SIGHUP (config checked, GPUs read again), without a restart", () => {
    expect(value(u, "Service", "ExecReload")).toBe("/bin/kill -HUP $MAINPID");
  });
  it("has a CPU group of its own, apart from the users' processes it answers", () => {
    expect(value(u, "Service", "CPUWeight")).toBe("100");
  });
  it("the docker.socket drop-in moves dockerd's socket to a root-only place", () => {
    const d = parseUnit(readFileSync(repoPath("deploy/systemd/gate/docker.socket.conf"), "utf8"));
    expect(value(d, "Socket", "SocketMode")).toBe("0600");
    expect(value(d, "Socket", "DirectoryMode")).toBe("0700");
    expect(readFileSync(repoPath("deploy/systemd/gate/docker.socket.conf"), "utf8")).toMatch(/^ListenStream=$\n^ListenStream=\/run\/ds01\/engine.sock$/m);
  });
});

describe("ds01.service (the daemon unit)", () => {
  const u = loadUnit(DAEMON);

  it("runs `ds01 daemon` with the config and state directories, restarting always", () => {
    expect(value(u, "Service", "Type")).toBe("simple");
    expect(value(u, "Service", "ExecStart")).toBe(
      "/usr/local/bin/ds01 --config /etc/ds01 --state-dir /var/lib/ds01 daemon --listen 127.0.0.1:9101",
    );
    expect(value(u, "Service", "Restart")).toBe("always");
    expect(seconds(value(u, "Service", "RestartSec")!)).toBeGreaterThan(0);
    // Long enough for a stop in flight with the default 60 s grace (plus the engine's 15 s) to be awaited.
    expect(seconds(value(u, "Service", "TimeoutStopSec")!)).toBe(90);
    expect(value(u, "Service", "StateDirectory")).toBe("ds01");
    expect(value(u, "Install", "WantedBy")).toBe("multi-user.target");
  });

  it("is hardened without cutting it off from Docker, /proc, cgroups, GPUs and other processes", () => {
    expect(value(u, "Service", "NoNewPrivileges")).toBe("yes");
    expect(value(u, "Service", "ProtectSystem")).toBe("strict");
    expect(value(u, "Service", "PrivateTmp")).toBe("yes");
    expect(value(u, "Service", "ProtectHome")).toBe("read-only");
    // Options that would break it stay off: GPUs and terminals live in /dev, all processes in /proc.
    for (const key of ["PrivateDevices", "ProtectProc", "ProcSubset", "PrivateNetwork", "MemoryDenyWriteExecute", "User", "DynamicUser", "PrivateUsers"]) {
      expect(value(u, "Service", key), key).toBeUndefined();
    }
    const caps = value(u, "Service", "CapabilityBoundingSet")!.split(/\s+/);
    expect(caps).toEqual(expect.arrayContaining(["CAP_KILL", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE"]));
    expect(value(u, "Service", "RestrictAddressFamilies")!.split(/\s+/)).toEqual(expect.arrayContaining(["AF_UNIX", "AF_INET"]));
  });

  it("has a CPU group of its own, so a burst of callers cannot starve its allocation broker", () => {
    expect(value(u, "Service", "CPUWeight")).toBe("100");
  });

  it("only wants Docker (a Docker restart must not stop the daemon)", () => {
    expect(value(u, "Unit", "Requires")).toBeUndefined();
    expect(value(u, "Unit", "BindsTo")).toBeUndefined();
    expect(value(u, "Unit", "Wants")).toContain("docker.service");
    expect(value(u, "Unit", "After")).toContain("docker.service");
  });
});

describe("ds01-dcgm-exporter.service", () => {
  const u = loadUnit(DCGM);

  it("restarts always, after a pause, within a start limit set in [Unit]", () => {
    expect(value(u, "Service", "Restart")).toBe("always");
    expect(seconds(value(u, "Service", "RestartSec")!)).toBe(10);
    expect(value(u, "Unit", "StartLimitIntervalSec")).toBe("300");
    expect(value(u, "Unit", "StartLimitBurst")).toBe("5");
    expect(value(u, "Service", "StartLimitBurst")).toBeUndefined();
  });

  it("starts the compose-created container attached and stops it explicitly with docker stop -t 30", () => {
    expect(value(u, "Service", "ExecStart")).toMatch(/^\/usr\/bin\/docker start -a ds01-dcgm-exporter$/);
    expect(value(u, "Service", "ExecStop")).toBe("/usr/bin/docker stop -t 30 ds01-dcgm-exporter");
    expect(seconds(value(u, "Service", "TimeoutStopSec")!)).toBe(45);
    expect(seconds(value(u, "Service", "TimeoutStopSec")!)).toBeGreaterThan(30);
    expect(seconds(value(u, "Service", "TimeoutStartSec")!)).toBe(120);
  });

  it("pulls first but may fail offline (a leading '-', not a shell `|| true`)", () => {
    const pre = value(u, "Service", "ExecStartPre")!;
    expect(pre).toMatch(/^-\/usr\/bin\/docker pull nvcr\.io\/nvidia\/k8s\/dcgm-exporter:\S+$/);
    expect(pre).not.toContain("||");
  });

  it("orders after and requires Docker", () => {
    expect(value(u, "Unit", "Requires")).toBe("docker.service");
    expect(value(u, "Unit", "After")).toContain("docker.service");
    expect(value(u, "Install", "WantedBy")).toBe("multi-user.target");
    expect(readFileSync(DCGM, "utf8").split("\n").length).toBeGreaterThanOrEqual(15);
  });
});

describe("unit-file parser", () => {
  it("reads sections, repeated keys (last wins), comments and continuations", () => {
    const u = parseUnit("# c\n[Unit]\nAfter=a\nAfter=b\n; c\n[Service]\nExecStart=/bin/x \\\n  --y\n");
    expect(value(u, "Unit", "After")).toBe("b");
    expect(u.get("Unit")!.get("After")).toEqual(["a", "b"]);
    expect(value(u, "Service", "ExecStart")).toBe("/bin/x  --y");
  });
  it.each([["45s", 45], ["300", 300], ["2min", 120], ["1min 30s", 90]])("time span %s = %d s", (span, s) => {
    expect(seconds(span)).toBe(s);
  });
  it("rejects a key outside a section", () => {
    expect(() => parseUnit("Restart=always\n")).toThrow(/not "Key=value"/);
  });
});

// systemd-analyze verify works without systemd as PID 1 (it loads the units offline). It checks
// that every Exec*= program exists, so a program this machine lacks (/usr/local/bin/ds01 before
// installation, /usr/bin/docker on a machine without the docker.io package) is replaced by a stub
// at another path in a temporary copy of the unit; nothing else in the unit is changed. Any line
// it prints about our units fails the test (unknown keys and bad values only warn, exit 0).
describe(`systemd-analyze verify${skipReason("systemd-analyze")}`, () => {
  const has = which("systemd-analyze") !== null;
  const tmp = mkdtempSync(join(tmpdir(), "ds01-units-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function stageUnit(src: string): string {
    const name = src.slice(src.lastIndexOf("/") + 1);
    let text = readFileSync(src, "utf8");
    for (const program of ["/usr/local/bin/ds01", "/usr/bin/docker"]) {
      if (existsSync(program)) continue;
      const stub = join(tmp, program.replaceAll("/", "_"));
      writeFileSync(stub, "#!/bin/sh\nexit 0\n");
      chmodSync(stub, 0o755);
      text = text.replace(new RegExp(`(=-?)${program.replaceAll("/", "\\/")}( |$)`, "gm"), `$1${stub}$2`);
    }
    const dest = join(tmp, name);
    writeFileSync(dest, text);
    return dest;
  }

  async function verify(unitPath: string) {
    const r = await runTool("systemd-analyze", ["verify", "--man=no", "--recursive-errors=no", unitPath]);
    const name = unitPath.slice(unitPath.lastIndexOf("/") + 1);
    const aboutUs = r.all.split("\n").filter((l) => l.includes(name));
    return { ...r, aboutUs };
  }

  it.skipIf(!has).each([DAEMON, DCGM, GATE])("accepts %s with no warning", async (src) => {
    const r = await verify(stageUnit(src));
    expect(r.aboutUs, r.all).toEqual([]);
    expect(r.code, r.all).toBe(0);
  });

  it.skipIf(!has)("reports a misspelt key and a missing program (the check can fail)", async () => {
    const bad = join(tmp, "ds01-broken.service");
    copyFileSync(DCGM, bad);
    writeFileSync(bad, readFileSync(bad, "utf8").replace("Restart=always", "Restrat=always").replace("/usr/bin/docker start", "/nonexistent/docker start"));
    const r = await verify(bad);
    expect(r.all).toMatch(/Unknown key 'Restrat'/);
    expect(r.all).toMatch(/\/nonexistent\/docker is not executable/);
    expect(r.code).not.toBe(0);
  });
});
