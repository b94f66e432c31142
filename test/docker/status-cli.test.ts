// `ds01 status` through the real CLI entry point, on real containers (scoped to this file's run
// with DS01_SCOPE_LABEL so other containers on the shared engine don't slow it down).
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { renderStatusTable, type StatusRow } from "../../src/cli/status.js";
import { LABEL } from "../../src/constants/labels.js";
import { useTestContainers } from "../helpers/containers.js";

const GPU_A = "GPU-11111111-2222-3333-4444-555555555555";
const GPU_B = "GPU-66666666-7777-8888-9999-000000000000";
const tc = useTestContainers("status");

function ds01(args: string[], who: { uid: number; userName: string }, env: NodeJS.ProcessEnv = {}) {
  return runCli(args, { env: { ...process.env, DS01_SCOPE_LABEL: `${LABEL.testRun}=${tc.runId}`, ...env }, ...who });
}
const root = { uid: 0, userName: "root" };
const alice = { uid: 1001, userName: "alice" };

describe("ds01 status", () => {
  it("as root: every container, with owner, type, state, GPUs, times and activity", async () => {
    const a = await tc.create({ labels: { "ds01.user": "alice", "ds01.managed": "true" }, gpus: [GPU_A], cmd: "exec yes > /dev/null" });
    const b = await tc.create({ name: `train-${tc.runId}._.bob`, labels: { "ds01.gpu.uuids": `${GPU_A},${GPU_B}` }, state: "exited" });
    const m = await tc.create({ name: `ds01-grafana-${tc.runId}`, labels: { "ds01.monitoring": "true" }, state: "created" });

    const r = await ds01(["status", "--json"], root);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.out) as { containers: StatusRow[] }).containers;
    const byId = new Map(rows.map((x) => [x.id, x]));
    expect(rows).toHaveLength(3);

    const ra = byId.get(a.id)!;
    expect(Object.keys(ra).sort()).toEqual(["cpu_pct", "gpus", "id", "infrastructure", "name", "net_bytes_per_s", "next", "owner", "started_at", "state", "type"]);
    expect(ra).toMatchObject({ name: a.name, owner: "alice", type: "atomic", state: "running", infrastructure: false, gpus: [GPU_A] });
    expect(Date.parse(ra.started_at!)).toBeGreaterThan(Date.now() - 300_000);
    expect(ra.cpu_pct).toBeGreaterThan(5);
    expect(ra.net_bytes_per_s).not.toBeNull();

    expect(byId.get(b.id)).toMatchObject({ owner: "bob", type: "atomic", state: "exited", gpus: [GPU_A, GPU_B], cpu_pct: null, net_bytes_per_s: null });
    expect(byId.get(m.id)).toMatchObject({ owner: "unknown", type: "infrastructure", state: "created", infrastructure: true, started_at: null, next: null });
    // Time left: a busy container's next step is its max-runtime warning (75 % of the bundled 24 h);
    // an exited GPU container's is its removal after the GPU hold.
    expect(ra.next).toMatchObject({ kind: "warn", reason: "max_runtime" });
    expect(Date.parse(ra.next!.at) - Date.parse(ra.started_at!)).toBeCloseTo(0.75 * 24 * 3_600_000, -4);
    expect(byId.get(b.id)!.next).toMatchObject({ kind: "remove", reason: "exited_hold" });

    const onlyBob = JSON.parse((await ds01(["status", "--json", "--user", "bob"], root)).out) as { containers: StatusRow[] };
    expect(onlyBob.containers.map((x) => x.id)).toEqual([b.id]);

    const table = await ds01(["status"], root);
    expect(table.code).toBe(0);
    expect(table.out.split("\n")[0]).toMatch(/^CONTAINER\s+NAME\s+OWNER\s+TYPE\s+STATE/);
    expect(table.out).toContain(a.id.slice(0, 12));
    expect(table.out).toContain("(infrastructure)");
  });

  it("as a user: only their own containers; another user's are refused", async () => {
    const mine = await tc.create({ labels: { "ds01.user": "alice" }, state: "created" });
    await tc.create({ labels: { "ds01.user": "carol" }, state: "created" });
    const r = await ds01(["status", "--json"], alice);
    expect(r.code).toBe(0);
    const ids = (JSON.parse(r.out) as { containers: StatusRow[] }).containers.map((x) => x.id);
    expect(ids).toContain(mine.id);
    const owners = (JSON.parse(r.out) as { containers: StatusRow[] }).containers.map((x) => x.owner);
    expect(new Set(owners)).toEqual(new Set(["alice"]));

    const refused = await ds01(["status", "--user", "carol"], alice);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/only root/);
  });

  it("bad arguments exit 2; an unreachable engine exits 1 with a message, never an empty list (--json: the error as JSON)", async () => {
    expect((await ds01(["status", "--bogus"], root)).code).toBe(2);
    expect((await ds01(["status", "extra"], root)).code).toBe(2);
    const down = await ds01(["status", "--json"], root, { DOCKER_HOST: "unix:///nonexistent.sock" });
    expect(down.code).toBe(1);
    expect(JSON.parse(down.out)).toEqual({ error: expect.stringMatching(/^docker engine at unix:\/\/\/nonexistent.sock unreachable/), exit_code: 1 });
    expect(down.err).toMatch(/docker/);
  });
});

describe("renderStatusTable", () => {
  it("prints unknown values as '-' and humanises rates", () => {
    const row: StatusRow = { id: "x".repeat(64), name: "box", owner: "alice", type: "docker", state: "running", infrastructure: false, gpus: [], started_at: "2024-01-01T00:00:00.000Z", cpu_pct: null, net_bytes_per_s: 2_500_000, next: { kind: "warn", reason: "idle", at: "2024-01-01T01:35:00.000Z" } };
    const out = renderStatusTable([row], Date.parse("2024-01-01T01:05:00Z"));
    expect(out).toContain("1h 5m");
    expect(out).toContain("2.4 MiB/s");
    expect(out).toMatch(/box\s+alice\s+docker\s+running\s+1h 5m\s+-\s+-\s+2\.4 MiB\/s\s+warn \(idle\) in 30m/);
    expect(renderStatusTable([], 0)).toBe("no containers\n");
  });

  it("neutralises control characters: no escape reaches the terminal, a newline forges no row", () => {
    const base: StatusRow = { id: "y".repeat(64), name: "box", owner: "alice", type: "docker", state: "exited", infrastructure: false, gpus: [], started_at: null, cpu_pct: null, net_bytes_per_s: null, next: null };
    const rows: StatusRow[] = [
      { ...base, name: "a\u001b[2J\u001b]0;owned\u0007", owner: "bob\u009b31m" },
      { ...base, name: "b", owner: "carol\nzzzzzzzzzzzz  forged  root  docker  running", type: "t\r\u202e" },
    ];
    const out = renderStatusTable(rows, 0);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(out.trimEnd().split("\n")).toHaveLength(3);
    expect(out).toContain("a\\u001b[2J\\u001b]0;owned\\u0007");
    expect(out).toContain("carol\\u000azzzz");
  });
});
