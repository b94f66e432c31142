// The gate's resident memory: idle, after requests, after many connections at once, (optionally)
// after large copies, and once it has had time to give memory back.
//
// Run (as root, on the test machine, after `npm run build` — the gate child runs bin/ds01.js):
//
//   npm run build && node --import ./test/store/fixtures/register-ts.mjs bench/gate-memory.ts \
//       [--requests 2000] [--connections 200] [--mb 0] [--settle-s 5] [--rounds 1] \
//       [--variant '{"name":"lite","NODE_OPTIONS":"--max-semi-space-size=2 --lite-mode"}']...
//
// Each gate starts as test/gate's harness starts it (test/gate/gate-harness.ts), with the
// Environment= lines of deploy/systemd/ds01-gate.service. A --variant is a JSON object: its "name",
// and environment variables that replace the unit's (null removes one); without --variant one
// gate runs with the unit's environment as it is. Rounds run the variants interleaved (round 1:
// A, B; round 2: A, B; …) so that load from others falls on all of them alike.
// Stages, each followed by a sample of /proc/<pid>/status (VmRSS, RssAnon, RssFile, VmHWM) and
// the gate's CPU time so far (utime + stime):
//   idle         started, then --settle-s seconds;
//   requests     --requests sequential GET /_ping and as many GET /containers/json, as the
//                non-admin test user (the checked path: peer credentials, classification, filter);
//   connections  --connections connections held at once (GET /events streams as the test user,
//                test/gate/fixtures/many-connections.mjs), sampled just after they closed;
//   copies       (--mb > 0) `docker cp` of an --mb MB file in and out, as the test user;
//   settled      --settle-s seconds later, nothing happening.
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

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    connections: { type: "string", default: "200" },
    mb: { type: "string", default: "0" },
    "settle-s": { type: "string", default: "5" },
    rounds: { type: "string", default: "1" },
    variant: { type: "string", multiple: true, default: [] },
  },
});
const REQUESTS = Math.max(1, Number(values.requests));
const CONNECTIONS = Math.max(1, Number(values.connections));
const MB = Math.max(0, Number(values.mb));
const SETTLE_MS = Math.max(0, Number(values["settle-s"])) * 1000;
const ROUNDS = Math.max(1, Number(values.rounds));
const USER = "ds01gt-alice";
const FIXTURES = join(import.meta.dirname, "../test/gate/fixtures");
const runId = newRunId("bench-gate-memory");
const bigFile = `/home/${USER}/ds01gt-bench-memory-${runId}`;
const STAGES = ["idle", "requests", "connections", ...(MB > 0 ? ["copies"] : []), "settled"] as const;

interface Variant {
  name: string;
  env: Record<string, string>;
}

interface Sample {
  rssMb: number;
  anonMb: number;
  fileMb: number;
  hwmMb: number;
  cpuS: number;
}

/** The `Environment=NAME=value` lines of the gate's systemd unit. */
function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(join(import.meta.dirname, "../deploy/systemd/ds01-gate.service"), "utf8");
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)) env[m[1]!] = m[2]!;
  return env;
}

function variants(): Variant[] {
  const unit = unitEnvironment();
  if (values.variant.length === 0) return [{ name: "unit", env: unit }];
  return values.variant.map((text) => {
    const { name, ...changes } = JSON.parse(text) as { name?: unknown } & Record<string, string | null>;
    if (typeof name !== "string") throw new Error(`--variant needs a "name": ${text}`);
    const env = { ...unit };
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete env[k];
      else env[k] = v;
    }
    return { name, env };
  });
}

function sample(pid: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) / 1024;
  // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised name.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMb: mb("VmRSS"), anonMb: mb("RssAnon"), fileMb: mb("RssFile"), hwmMb: mb("VmHWM"), cpuS: ticks / 100 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg()[0]!.toFixed(2);

function sh(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("/bin/sh", ["-c", command], { timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function asTestUser(gate: GateProcess, command: string, what: string): Promise<string> {
  const r = await asUser(USER, command, gate.env(), 600_000);
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** One gate through every stage. */
async function measure(variant: Variant): Promise<Map<string, Sample>> {
  const gate = await startGate({ env: variant.env, gateKeys: UNTHROTTLED });
  const pid = gate.child.pid!;
  const samples = new Map<string, Sample>();
  try {
    await sleep(SETTLE_MS);
    samples.set("idle", sample(pid));
    for (const path of ["/_ping", "/v1.41/containers/json"]) {
      await asTestUser(gate, `${process.execPath} ${join(FIXTURES, "latency.mjs")} ${gate.socket} '${path}' ${REQUESTS}`, `requests ${path}`);
    }
    samples.set("requests", sample(pid));
    const held = JSON.parse(await asTestUser(gate, `${process.execPath} ${join(FIXTURES, "many-connections.mjs")} ${gate.socket} ${CONNECTIONS} ${runId} ${TEST_IMAGE}`, "connections")) as { opened200: number };
    if (held.opened200 !== CONNECTIONS) throw new Error(`only ${held.opened200} of ${CONNECTIONS} connections were answered`);
    samples.set("connections", sample(pid));
    if (MB > 0) {
      const name = `ds01gt-bench-memory-${runId}-${variant.name.replace(/[^\w.-]/g, "_")}`;
      await asTestUser(gate, `docker run -d --label ${LABEL.testRun}=${runId} --name ${name} ${TEST_IMAGE} sleep 3600`, "copy container");
      await asTestUser(gate, `docker cp ${bigFile} ${name}:/tmp/big`, "cp in");
      await asTestUser(gate, `docker cp ${name}:/tmp/big - > /dev/null`, "cp out");
      samples.set("copies", sample(pid));
    }
    await sleep(SETTLE_MS);
    samples.set("settled", sample(pid));
    return samples;
  } catch (e) {
    console.error(`gate log (last 2000 characters):\n${gate.log().slice(-2000)}`);
    throw e;
  } finally {
    await gate.stop();
  }
}

const f = (n: number) => n.toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const all = variants();
  console.log(`gate memory bench: ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}, run ${runId}`);
  console.log(`${REQUESTS} requests per path, ${CONNECTIONS} connections, ${MB > 0 ? `${MB} MB copies` : "no copies"}, ${SETTLE_MS / 1000} s to settle, ${ROUNDS} round(s)`);
  // A non-admin listing parses the engine's whole listing: its size is part of what a request costs.
  console.log(`containers on the engine: ${(await sh("docker ps -aq | wc -l")).stdout.trim()}`);
  for (const v of all) console.log(`variant ${v.name}: ${JSON.stringify(v.env)}`);
  await ensureTestUsers();
  if (MB > 0) {
    writeFileSync(bigFile, randomBytes(MB * 1024 * 1024));
    const id = async (flag: string) => Number((await sh(`id ${flag} ${USER}`)).stdout.trim());
    chownSync(bigFile, await id("-u"), await id("-g"));
  }
  const results = new Map<string, Map<string, Sample>[]>(all.map((v) => [v.name, []]));
  try {
    console.log(`\nvariant      round stage        VmRSS  RssAnon RssFile VmHWM  (MB)  gate CPU s  load`);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const v of all) {
        const samples = await measure(v);
        results.get(v.name)!.push(samples);
        for (const [stage, s] of samples) {
          console.log(`${v.name.padEnd(12)} ${String(round).padStart(5)} ${stage.padEnd(12)} ${f(s.rssMb).padStart(6)} ${f(s.anonMb).padStart(8)} ${f(s.fileMb).padStart(7)} ${f(s.hwmMb).padStart(6)}        ${s.cpuS.toFixed(2).padStart(6)}      ${load()}`);
        }
      }
    }
    if (ROUNDS > 1) {
      console.log(`\nmedian over ${ROUNDS} rounds, VmRSS (RssAnon) MB`);
      console.log(`variant      ${STAGES.map((s) => s.padEnd(14)).join("")}`);
      for (const [name, runs] of results) {
        const cells = STAGES.map((stage) => `${f(median(runs.map((r) => r.get(stage)!.rssMb)))} (${f(median(runs.map((r) => r.get(stage)!.anonMb)))})`.padEnd(14));
        console.log(`${name.padEnd(12)} ${cells.join("")}`);
      }
    }
  } finally {
    await removeRunContainers(runId);
    rmSync(bigFile, { force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
