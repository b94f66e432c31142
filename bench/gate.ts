// Gate benchmark: what the Docker API gate costs, measured in one run against dockerd directly.
//
// Run (as root, on the test machine, after `npm run build` — the gate child runs bin/ds01.js):
//
//   npm run build && node --import ./test/store/fixtures/register-ts.mjs bench/gate.ts \
//       [--requests 2000] [--runs 20] [--mb 200] [--connections 200] [--rounds 5] [--settle-s 35]
//
// It starts a real gate (test/gate/gate-harness.ts: its own socket, the test users and groups)
// and prints:
//   1. added latency per request for GET /_ping and GET /containers/json (p50, p99 over
//      --requests sequential requests on one keep-alive connection, after a warm-up round; median
//      over --rounds interleaved rounds): root direct, root through the
//      gate (root is an admin: passed through unchanged, the fast path), and the non-admin test
//      user through the gate (the checked path: identity, classification, the listing filter);
//   2. `docker run --rm IMAGE true` end to end, --runs each, interleaved: direct, root via the
//      gate, the test user via the gate (median and ratio);
//   3. throughput of `docker logs` of an --mb MB output and of `docker cp` of an --mb MB file in
//      and out (MB/s and % of direct; median over --rounds interleaved rounds);
//   4. --connections connections held open at once through the gate (event streams, all live);
//   5. the gate's RSS (VmRSS and peak VmHWM from /proc/<pid>/status) after all that, and again
//      --settle-s seconds later with nothing running.
// The gate runs with the Environment= lines of deploy/systemd/ds01-gate.service (V8 and malloc
// settings), as it runs when installed, and in a CPU group of its own (gate-cpu-group.ts); --bare
// runs it without the Environment= lines.
// Containers carry ds01.test.run=<runId> and are removed at the end, with the file it made.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LABEL } from "../src/constants/labels.js";
import { newRunId } from "../test/helpers/containers.js";
import { TEST_IMAGE } from "../test/helpers/docker-env.js";
import { asUser, ensureTestUsers, removeRunContainers, startGate, UNTHROTTLED, type GateProcess } from "../test/gate/gate-harness.js";
import { gateInOwnCpuGroup } from "./gate-cpu-group.js";
import { percentile } from "./percentile.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    runs: { type: "string", default: "20" },
    mb: { type: "string", default: "200" },
    connections: { type: "string", default: "200" },
    rounds: { type: "string", default: "5" },
    "settle-s": { type: "string", default: "35" },
    bare: { type: "boolean", default: false },
  },
});
const REQUESTS = Math.max(10, Number(values.requests));
const RUNS = Math.max(1, Number(values.runs));
const MB = Math.max(1, Number(values.mb));
const CONNECTIONS = Math.max(1, Number(values.connections));
const ROUNDS = Math.max(1, Number(values.rounds));
const SETTLE_S = Math.max(0, Number(values["settle-s"]));
const ENGINE = "/var/run/docker.sock";
const USER = "ds01gt-alice";
const FIXTURES = join(import.meta.dirname, "../test/gate/fixtures");
const runId = newRunId("bench-gate");
const L = `--label ${LABEL.testRun}=${runId}`;
const bigFile = `/home/${USER}/ds01gt-bench-${runId}`;

function sh(command: string, env: Record<string, string> = {}, timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile("/bin/sh", ["-c", command], { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

async function userSh(command: string, gate: GateProcess, timeoutMs = 600_000) {
  const t0 = performance.now();
  const r = await asUser(USER, command, gate.env(), timeoutMs);
  return { ...r, ms: performance.now() - t0 };
}

function must<T extends { code: number | null; stderr: string }>(r: T, what: string): T {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

const pct = percentile;
const median = (xs: number[]) => pct(xs, 50);
const f = (n: number, d = 3) => n.toFixed(d);
/** Added latency with its sign (a round can be faster through the gate than direct). */
const added = (n: number) => `${n >= 0 ? "+" : ""}${f(n)}`;

async function latency(socket: string, path: string, asTestUser: GateProcess | null): Promise<number[]> {
  const cmd = `${process.execPath} ${join(FIXTURES, "latency.mjs")} ${socket} '${path}' ${REQUESTS}`;
  const r = asTestUser ? await userSh(cmd, asTestUser) : await sh(cmd);
  must(r, `latency ${path}`);
  return (JSON.parse(r.stdout) as { ms: number[] }).ms;
}

/** A `Key:   N kB` line of a /proc file, in kB. */
const kbIn = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
const mbText = (kb: number) => `${f(kb / 1024, 1)} MB`;

function gateRss(pid: number): { rss: string; hwm: string; split: string } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (k: string) => mbText(kbIn(status, k));
  // File pages (the node binary, shared with every node process) apart from the gate's own memory;
  // "private": pages no other process maps, what the gate's exit would give back.
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const priv = mbText(kbIn(rollup, "Private_Clean") + kbIn(rollup, "Private_Dirty"));
  return { rss: mb("VmRSS"), hwm: mb("VmHWM"), split: `anonymous ${mb("RssAnon")}, file ${mb("RssFile")}; private ${priv}` };
}

/** The `Environment=NAME=value` lines of the gate's systemd unit. */
function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(join(import.meta.dirname, "../deploy/systemd/ds01-gate.service"), "utf8");
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)) env[m[1]!] = m[2]!;
  return env;
}

async function main(): Promise<void> {
  console.log(`gate bench: ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}, run ${runId}`);
  await ensureTestUsers();
  const gateEnv = values.bare ? {} : unitEnvironment();
  console.log(`gate environment: ${JSON.stringify(gateEnv)}${values.bare ? " (--bare)" : " (from deploy/systemd/ds01-gate.service)"}`);
  const gate = await startGate({ env: gateEnv, gateKeys: UNTHROTTLED });
  const group = gateInOwnCpuGroup(gate.child.pid!);
  console.log(`gate runs in ${group.where}`);
  const viaGate = { DOCKER_HOST: gate.dockerHost };
  const direct = { DOCKER_HOST: `unix://${ENGINE}` };
  try {
    // 1. Per-request latency: a warm-up round first (the gate's JIT and caches; a gate runs for days),
    // then --rounds rounds, each taking direct, root and the test user in turn, so a busy second of
    // the machine falls on all three alike. The figure is the median over rounds of each round's p50/p99.
    console.log(`\n1. added latency per request (${REQUESTS} sequential requests, one keep-alive connection; a warm-up round, then ${ROUNDS} rounds interleaved; ms)`);
    console.log("   path               | direct p50 / p99 | root via gate p50 / p99 (added)  | non-admin via gate p50 / p99 (added) | ratio p50 root / non-admin");
    for (const path of ["/_ping", "/v1.41/containers/json"]) {
      await latency(gate.socket, path, null);
      await latency(gate.socket, path, gate);
      const rounds: number[][] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const [d, g, u] = [await latency(ENGINE, path, null), await latency(gate.socket, path, null), await latency(gate.socket, path, gate)];
        // Direct p50/p99, then what root and the test user added to each, in this round.
        const [d50, d99] = [pct(d, 50), pct(d, 99)];
        const row = [d50, d99, pct(g, 50) - d50, pct(g, 99) - d99, pct(u, 50) - d50, pct(u, 99) - d99];
        rounds.push(row);
        console.log(`   round ${r + 1}: direct ${f(row[0]!)} / ${f(row[1]!)}, root ${added(row[2]!)} / ${added(row[3]!)}, non-admin ${added(row[4]!)} / ${added(row[5]!)}`);
      }
      // Medians of each round's added latency (not the difference of medians).
      const med = (k: number) => median(rounds.map((row) => row[k]!));
      const [d50, d99, g50, g99, u50, u99] = [med(0), med(1), med(2), med(3), med(4), med(5)];
      console.log(
        `   ${path.padEnd(18)} | ${f(d50)} / ${f(d99)}    | ${added(g50)} / ${added(g99)}              | ${added(u50)} / ${added(u99)}                     | ${f((d50 + g50) / d50, 2)}x / ${f((d50 + u50) / d50, 2)}x`,
      );
    }
    const listed = await sh(`docker ps -aq | wc -l`, direct);
    console.log(`   (containers on the engine during /containers/json: ${listed.stdout.trim()}; the non-admin sees only theirs)`);

    // 2. docker run --rm IMAGE true, end to end.
    console.log(`\n2. docker run --rm ${TEST_IMAGE} true, end to end (${RUNS} each, interleaved; ms)`);
    const runs = { direct: [] as number[], root: [] as number[], user: [] as number[] };
    const cmd = `docker run --rm ${L} ${TEST_IMAGE} true`;
    for (let i = 0; i < RUNS; i++) {
      runs.direct.push(must(await sh(cmd, direct), "run direct").ms);
      runs.root.push(must(await sh(cmd, viaGate), "run via gate").ms);
      runs.user.push(must(await userSh(cmd, gate), "run as user").ms);
    }
    // The user's runs include `su` (a login shell): measure it alone to subtract it.
    const suOnly: number[] = [];
    for (let i = 0; i < RUNS; i++) suOnly.push((await userSh("true", gate)).ms);
    const [rd, rr, ru, su] = [median(runs.direct), median(runs.root), median(runs.user), median(suOnly)];
    console.log(`   direct ${f(rd, 0)} | root via gate ${f(rr, 0)} (${f(rr / rd, 2)}x) | non-admin via gate ${f(ru - su, 0)} (${f((ru - su) / rd, 2)}x; ${f(ru, 0)} less su ${f(su, 0)})`);

    // 3. Throughput: docker logs of MB MB, docker cp of MB MB in and out.
    console.log(`\n3. throughput, ${MB} MB (MB/s, % of direct)`);
    const line = "0123456789".repeat(10); // 100 chars + newline per log line
    const lines = Math.ceil((MB * 1024 * 1024) / (line.length + 1));
    const logName = `ds01gt-bench-logs-${runId}`;
    must(await userSh(`docker run -d ${L} --name ${logName} ${TEST_IMAGE} sh -c 'yes ${line} | head -n ${lines}' && docker wait ${logName}`, gate), "log container");
    const logBytes = Number(must(await sh(`docker logs ${logName} | wc -c`, direct), "logs").stdout.trim());
    const mbOf = (bytes: number, ms: number) => bytes / 1024 / 1024 / (ms / 1000);
    const su1 = Math.min(...suOnly);
    // Each of --rounds rounds takes direct, root and the test user in turn (a busy second falls on
    // all three alike); the figures are medians over rounds: MB/s, and each round's % of its direct.
    const throughput = async (what: string, cmd: string, bytes: number) => {
      const rows: number[][] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const d = must(await sh(cmd, direct), `${what} direct`).ms;
        const g = must(await sh(cmd, viaGate), `${what} via gate`).ms;
        const u = must(await userSh(cmd, gate), `${what} as user`).ms - su1;
        rows.push([d, g, u]);
      }
      const mb = (k: number) => median(rows.map((row) => mbOf(bytes, row[k]!)));
      const share = (k: number) => median(rows.map((row) => (100 * row[0]!) / row[k]!));
      const each = (k: number) => rows.map((row) => f((100 * row[0]!) / row[k]!, 0)).join("/");
      console.log(`   ${what.padEnd(20)} direct ${f(mb(0), 0)} | root via gate ${f(mb(1), 0)} (${f(share(1), 0)} %; rounds ${each(1)}) | non-admin via gate ${f(mb(2), 0)} (${f(share(2), 0)} %; rounds ${each(2)})`);
    };
    await throughput(`docker logs (${f(logBytes / 1024 / 1024, 0)} MB)`, `docker logs ${logName} > /dev/null`, logBytes);
    writeFileSync(bigFile, randomBytes(MB * 1024 * 1024));
    chownSync(bigFile, Number(must(await sh(`id -u ${USER}`), "id").stdout.trim()), Number(must(await sh(`id -g ${USER}`), "id").stdout.trim()));
    const cpName = `ds01gt-bench-cp-${runId}`;
    must(await userSh(`docker run -d ${L} --name ${cpName} ${TEST_IMAGE} sleep 3600`, gate), "cp container");
    const bytes = MB * 1024 * 1024;
    const cpIn = `docker cp ${bigFile} ${cpName}:/tmp/big`;
    must(await sh(cpIn, direct), "first cp in"); // the first copy creates the file; the measured ones replace it
    await throughput("docker cp in", cpIn, bytes);
    await throughput("docker cp out", `docker cp ${cpName}:/tmp/big - > /dev/null`, bytes);

    // 4. Connections held at once.
    console.log(`\n4. ${CONNECTIONS} connections held open at once (GET /events as the non-admin user)`);
    const many = must(await userSh(`${process.execPath} ${join(FIXTURES, "many-connections.mjs")} ${gate.socket} ${CONNECTIONS} ${runId} ${TEST_IMAGE}`, gate), "many connections");
    const m = JSON.parse(many.stdout) as Record<string, unknown>;
    console.log(`   answered 200: ${String(m.opened200)}/${CONNECTIONS}; ping while held: ${String(m.pingWhileHeld)}; ${String(m.lists200)} concurrent listings 200; streams that saw a new container's events: ${String(m.streamsThatSawTheEvents)}; whole script ${f(many.ms, 0)} ms`);
    console.log(`   gate RSS with them just closed: ${gateRss(gate.child.pid!).rss}`);

    // 5. RSS.
    const rss = gateRss(gate.child.pid!);
    console.log(`\n5. gate RSS after the run: VmRSS ${rss.rss} (${rss.split}), peak VmHWM ${rss.hwm}`);
    // The gate gives memory back when it is quiet (V8's memory reducer; glibc's trim every 30 s).
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    const settled = gateRss(gate.child.pid!);
    console.log(`   ${SETTLE_S} s later, nothing running: VmRSS ${settled.rss} (${settled.split})`);
  } finally {
    await removeRunContainers(runId);
    rmSync(bigFile, { force: true });
    await gate.stop();
    group.remove();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
