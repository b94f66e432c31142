import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { repoPath } from "./tools.js";

// `ds01 install` through the real CLI entry point, on a real temporary directory as the prefix.

const UNIT = "etc/systemd/system/ds01.service";

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}
const SKELETON = repoPath("config/default");
const SKELETON_FILES = filesUnder(SKELETON).map((f) => relative(SKELETON, f)).sort();

function ds01(args: string[], uid = 0) {
  return runCli(args, { env: process.env, uid, userName: uid === 0 ? "root" : "someone" });
}

describe("ds01 install", () => {
  let prefix: string;
  beforeEach(() => {
    prefix = mkdtempSync(join(tmpdir(), "ds01-install-"));
  });
  afterEach(() => rmSync(prefix, { recursive: true, force: true }));

  it("installs the daemon unit and the whole config skeleton", async () => {
    expect(SKELETON_FILES).toContain("resource-limits.yaml");
    const r = await ds01(["install", "--prefix", prefix]);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(prefix, UNIT), "utf8")).toBe(readFileSync(repoPath("deploy/systemd/ds01.service"), "utf8"));
    expect(statSync(join(prefix, UNIT)).mode & 0o777).toBe(0o644);
    for (const f of SKELETON_FILES) {
      expect(readFileSync(join(prefix, "etc/ds01", f), "utf8"), f).toBe(readFileSync(join(SKELETON, f), "utf8"));
    }
    expect(statSync(join(prefix, "var/lib/ds01")).isDirectory()).toBe(true);
    expect(r.out).toContain(`create         ${join(prefix, UNIT)}\n`);
    expect(r.out.split("\n").filter((l) => l.startsWith("create "))).toHaveLength(1 + SKELETON_FILES.length);
    // The unit runs /usr/local/bin/ds01, which this prefix lacks: said, not fatal.
    expect(r.err).toContain("/usr/local/bin/ds01, which does not exist");
  });

  it("is idempotent and never overwrites an admin's config file", async () => {
    expect((await ds01(["install", "--prefix", prefix])).code).toBe(0);
    const limits = join(prefix, "etc/ds01/resource-limits.yaml");
    writeFileSync(limits, "# edited by the admin\n");
    const again = await ds01(["install", "--prefix", prefix]);
    expect(again.code, again.err).toBe(0);
    expect(readFileSync(limits, "utf8")).toBe("# edited by the admin\n");
    expect(again.out).toContain(`keep           ${limits}  (exists; an admin's file is never overwritten)`);
    expect(again.out).toContain(`unchanged      ${join(prefix, UNIT)}`);
    expect(again.out).not.toMatch(/^(create|update) /m);
  });

  it("adds skeleton files that are missing without touching the others", async () => {
    mkdirSync(join(prefix, "etc/ds01"), { recursive: true });
    writeFileSync(join(prefix, "etc/ds01/user-overrides.yaml"), "mine: true\n");
    const r = await ds01(["install", "--prefix", prefix]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(prefix, "etc/ds01/user-overrides.yaml"), "utf8")).toBe("mine: true\n");
    expect(readFileSync(join(prefix, "etc/ds01/resource-limits.yaml"), "utf8")).toBe(readFileSync(join(SKELETON, "resource-limits.yaml"), "utf8"));
  });

  it("replaces a stale copy of the packaged unit", async () => {
    mkdirSync(join(prefix, "etc/systemd/system"), { recursive: true });
    writeFileSync(join(prefix, UNIT), "[Service]\nExecStart=/old\n");
    const r = await ds01(["install", "--prefix", prefix]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`update         ${join(prefix, UNIT)}`);
    expect(readFileSync(join(prefix, UNIT), "utf8")).toBe(readFileSync(repoPath("deploy/systemd/ds01.service"), "utf8"));
    expect(readdirSync(join(prefix, "etc/systemd/system"))).toEqual(["ds01.service"]); // no temp file left
  });

  it("--dry-run prints what it would write and writes nothing", async () => {
    const r = await ds01(["install", "--dry-run", "--prefix", prefix]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`would create   ${join(prefix, UNIT)}`);
    expect(r.out).toContain(`would create   ${join(prefix, "etc/ds01/resource-limits.yaml")}`);
    expect(r.out).toContain("dry run: nothing was written");
    expect(readdirSync(prefix)).toEqual([]);
  });

  it("refuses to write to / without root, but a dry run is fine", async () => {
    const r = await ds01(["install"], 1000);
    expect(r.code).toBe(1);
    expect(r.err).toContain("run it as root");
    const dry = await ds01(["install", "--dry-run"], 1000);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain("/etc/systemd/system/ds01.service");
    expect(dry.out).toContain("dry run: nothing was written");
  });

  it("rejects unknown arguments with exit 2", async () => {
    expect((await ds01(["install", "--prefx", prefix])).code).toBe(2);
    expect((await ds01(["install", "extra"])).code).toBe(2);
  });
});

describe("ds01 install --gate", () => {
  let prefix: string;
  beforeEach(() => {
    prefix = mkdtempSync(join(tmpdir(), "ds01-install-gate-"));
  });
  afterEach(() => rmSync(prefix, { recursive: true, force: true }));

  it("adds the gate unit and the drop-ins that move dockerd's socket, and says how to roll back", async () => {
    const r = await ds01(["install", "--gate", "--prefix", prefix]);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(prefix, "etc/systemd/system/ds01-gate.service"), "utf8")).toBe(readFileSync(repoPath("deploy/systemd/ds01-gate.service"), "utf8"));
    expect(readFileSync(join(prefix, "etc/systemd/system/docker.socket.d/ds01-gate.conf"), "utf8")).toMatch(/ListenStream=\/run\/ds01\/engine.sock/);
    expect(readFileSync(join(prefix, "etc/systemd/system/ds01.service.d/ds01-gate.conf"), "utf8")).toMatch(/DOCKER_HOST=unix:\/\/\/run\/ds01\/engine.sock/);
    expect(r.out).toMatch(/to roll the gate back: rm .*docker.socket.d\/ds01-gate.conf/);
  });

  it("--dry-run lists the gate's files and writes nothing", async () => {
    const r = await ds01(["install", "--gate", "--dry-run", "--prefix", prefix]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/would create +\S*ds01-gate.service/);
    expect(r.out).toMatch(/would create +\S*docker.socket.d\/ds01-gate.conf/);
    expect(filesUnder(prefix)).toEqual([]);
  });

  it("without --gate installs none of them", async () => {
    const r = await ds01(["install", "--prefix", prefix]);
    expect(r.code, r.err).toBe(0);
    expect(filesUnder(prefix).some((f) => relative(prefix, f).includes("gate"))).toBe(false);
  });
});

describe("ds01 install: directories and --json", () => {
  let prefix: string;
  beforeEach(() => (prefix = mkdtempSync(join(tmpdir(), "ds01-install-json-"))));
  afterEach(() => rmSync(prefix, { recursive: true, force: true }));

  it("lists the directories it makes, the state directory included", async () => {
    const dry = await ds01(["install", "--dry-run", "--prefix", prefix]);
    expect(dry.out).toContain(`would mkdir    ${join(prefix, "var/lib/ds01")}/\n`);
    const r = await ds01(["install", "--prefix", prefix]);
    expect(r.out).toContain(`mkdir          ${join(prefix, "var/lib/ds01")}/\n`);
    const again = await ds01(["install", "--prefix", prefix]);
    expect(again.out).toContain(`exists         ${join(prefix, "var/lib/ds01")}/\n`);
  });

  it("--json: one document with dirs, files and notes", async () => {
    const r = await ds01(["install", "--dry-run", "--prefix", prefix, "--json"]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ dry_run: true, prefix, next: null });
    expect(doc.dirs).toContainEqual({ path: join(prefix, "var/lib/ds01"), action: "mkdir" });
    expect(doc.files).toContainEqual({ action: "create", target: join(prefix, UNIT), note: null });
    expect(doc.notes).toEqual([expect.stringContaining("/usr/local/bin/ds01")]);
    expect(readdirSync(prefix)).toEqual([]);
    const refused = await ds01(["install", "--json"], 1000);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.out)).toEqual({ error: expect.stringContaining("run it as root"), exit_code: 1 });
  });
});
