import { InvalidInputError } from "../errors.js";
import { explainContainer, type Explanation } from "../policy/explain.js";
import type { SignalReading } from "../policy/idle-signals.js";
import { observe } from "../pass/observe.js";
import { createPolicyView } from "../pass/policy-view.js";
import { LAST_PASS_KEY } from "../pass/run-pass.js";
import { openPassEnv } from "../compose/pass-env.js";
import { isoTime } from "../util/clock.js";
import { formatDuration } from "../util/duration.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";

function signalJson(s: SignalReading | undefined) {
  return s ? { status: s.status, value: s.value, threshold: s.threshold, note: s.note } : { status: "unknown", value: null, threshold: null, note: "not evaluated" };
}

export function explanationJson(e: Explanation) {
  const r = e.idle?.reading;
  return {
    container: e.container.name,
    container_id: e.container.id,
    owner: e.container.identity.owner,
    type: e.container.identity.type,
    group: e.group,
    state: e.container.state,
    policy: { idle_timeout_s: e.idleTimeoutS, max_runtime_s: e.maxRuntimeS, sigterm_grace_s: e.sigtermGraceS },
    // False when the planner leaves the container alone for this (idle_applies_to: gpu, no GPU).
    applies: { idle: e.idle?.skip?.why !== "no_gpu", max_runtime: e.runtime?.skip?.why !== "no_gpu" },
    signals: { gpu: signalJson(r?.gpu), cpu: signalJson(r?.cpu), network: signalJson(r?.network) },
    verdict: r?.verdict ?? null,
    idle_streak: e.idle?.record.idleStreak ?? 0,
    idle_since: e.idle?.record.idleSince ? isoTime(e.idle.record.idleSince) : null,
    runtime_s: e.runtime?.runtimeS ?? null,
    high_demand: e.idle?.highDemand ?? false,
    skipped: e.skip ? { why: e.skip.why, detail: e.skip.detail } : null,
    planned_now: e.planned,
    next: e.next ? { kind: e.next.kind, reason: e.next.reason, at: isoTime(e.next.at) } : null,
  };
}

const NOT_APPLIED = " (not applied: it holds no GPU and idle_applies_to is gpu)";

function text(e: Explanation, window: number): string {
  const j = explanationJson(e);
  const sig = (name: string, s: ReturnType<typeof signalJson>) => `  ${name.padEnd(8)} ${s.status.padEnd(8)} value ${s.value ?? "unknown"} vs threshold ${s.threshold ?? "-"}${s.note ? ` (${s.note})` : ""}`;
  const lines = [
    `${j.container} (${j.container_id.slice(0, 12)}): ${j.state}, owner ${j.owner}, type ${j.type}, group ${j.group}`,
    `policy: idle timeout ${j.policy.idle_timeout_s === null ? "none" : formatDuration(j.policy.idle_timeout_s * 1000)}${j.high_demand ? " (halved: high demand)" : ""}${j.applies.idle ? "" : NOT_APPLIED}, max runtime ${j.policy.max_runtime_s === null ? "none" : formatDuration(j.policy.max_runtime_s * 1000)}${j.applies.max_runtime ? "" : NOT_APPLIED}, SIGTERM grace ${j.policy.sigterm_grace_s}s`,
  ];
  if (e.idle?.reading) {
    lines.push(`signals (${j.verdict}):`, sig("GPU", j.signals.gpu), sig("CPU", j.signals.cpu), sig("network", j.signals.network));
    lines.push(`idle streak ${j.idle_streak} of ${window} observations${j.idle_since ? `, idle since ${j.idle_since}` : ""}`);
  }
  if (j.runtime_s !== null) lines.push(`running for ${formatDuration(j.runtime_s * 1000)} (restarts included)`);
  if (j.skipped) lines.push(`left alone now: ${j.skipped.why} (${j.skipped.detail})`);
  for (const p of j.planned_now) lines.push(`would now: ${p.kind} (${p.reason}): ${p.summary}`);
  lines.push(j.next ? `next: ${j.next.kind} (${j.next.reason}) at ${j.next.at}` : "next: nothing scheduled");
  return lines.join("\n") + "\n";
}

/** Why a container is kept or stopped: policy, each signal against its threshold, streak, next step. */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPECS.explain.options);
  const target = positionals[0];
  if (!target || positionals.length > 1) throw new InvalidInputError("name one container");
  const env = await openPassEnv(ctx, { readonlyStore: true });
  try {
    const now = ctx.clock.now();
    const records = new Map(env.store.all().map((r) => [r.containerId, r]));
    const last = env.store.meta.get(LAST_PASS_KEY);
    const obs = await observe({ ...env.deps, events: env.store }, records, now, last === null ? null : Number(last));
    if (obs.snapshot.dockerError) throw new Error(`Docker unavailable: ${obs.snapshot.dockerError}`);
    const c = obs.snapshot.containers.find((x) => x.name === target || x.id === target || (target.length >= 6 && x.id.startsWith(target)));
    if (!c) throw new InvalidInputError(`no container named or with id "${target}"`);
    if (ctx.uid !== 0 && c.identity.owner !== ctx.userName) throw new InvalidInputError(`${c.name} belongs to ${c.identity.owner}, not to you`);
    const view = createPolicyView(env.config, now);
    const e = explainContainer(obs.snapshot, view, c, obs.records.get(c.id) ?? null);
    const window = view.forOwner(c.identity.owner).policies.idle_detection_window;
    if (values.json) printJson(ctx, { ...explanationJson(e), window });
    else ctx.out(text(e, window));
    return 0;
  } finally {
    env.close();
  }
}
