import { execFile } from "node:child_process";
import { join } from "node:path";
import { TEST_IMAGE } from "../test/helpers/docker-env.js";
import { gpuUuid, writeFakeGpuState } from "../test/helpers/fake-gpus.js";
import { asUser, ensureTestUsers, removeRunContainers, startGate } from "../test/gate/gate-harness.js";
import { newRunId } from "../test/helpers/containers.js";
const SCRIPT = join(import.meta.dirname, "../test/gate/fixtures/gpu-creates.mjs");
const runId = newRunId("tmp-timing");
const unlimited = (u: string) => `${u}:\n  max_gpu_equivalents: null\n  max_gpu_slots_per_container: null\n  max_containers_per_user: null\n  aggregate:\n    gpu_limit: null\n`;
const sh = (f: string, a: string[]) => new Promise<string>((res, rej) => execFile(f, a, { maxBuffer: 1 << 24 }, (e, o, er) => (e ? rej(new Error(er)) : res(o))));
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; };
await ensureTestUsers();
const gpus = Array.from({ length: 128 }, (_, i) => gpuUuid(i, "be1cbe1c"));
const fake = await writeFakeGpuState({ gpus: gpus.map((uuid, index) => ({ index, uuid, util: 0 })) });
const gate = await startGate({ env: fake.env, userOverrides: unlimited("ds01gt-alice") });
try {
  for (const side of ["direct", "gate", "direct", "gate"]) {
    const before = gate.log().length;
    const out = side === "gate" ? (await asUser("ds01gt-alice", `${process.execPath} ${SCRIPT} ${gate.socket} ${TEST_IMAGE} ${runId} 100 -`, {}, 600_000)).stdout
      : await sh(process.execPath, [SCRIPT, side === "direct" ? "/var/run/docker.sock" : gate.socket, TEST_IMAGE, runId, "100", gpus.join(",")]);
    const ms = (JSON.parse(out) as { ms: number[] }).ms;
    const t = gate.log().slice(before).split("\n").filter((l) => l.startsWith("TIMING ")).map((l) => JSON.parse(l.slice(7)) as Record<string, number>).slice(-100);
    const k = (key: string) => t.filter((x) => x[key] !== undefined).length ? `${key} ${pct(t.map((x) => x[key]!).filter((v) => v !== undefined), 50).toFixed(2)}/${pct(t.map((x) => x[key]!).filter((v) => v !== undefined), 99).toFixed(2)}` : "";
    const gap = t.length ? `engine ${pct(t.map((x) => x.up! - x.fwd!), 50).toFixed(2)}/${pct(t.map((x) => x.up! - x.fwd!), 99).toFixed(2)} after ${pct(t.map((x) => x.end! - x.up!), 50).toFixed(2)}` : "";
    console.log(side.padEnd(7), `client p50 ${pct(ms, 50).toFixed(2)} p99 ${pct(ms, 99).toFixed(2)}`, ["body","checks","limits","cgroup","gpu","imgdone","img"].map(k).join(" "), k("dec"), k("fwd"), gap, k("end"));
  }
} finally { await gate.stop(); await removeRunContainers(runId); }
