import { EVENT } from "../constants/event-types.js";
import { InvalidInputError } from "../errors.js";
import { identify } from "../docker/identity.js";
import { createPolicyView } from "../pass/policy-view.js";
import { openPassEnv } from "../compose/pass-env.js";
import { newRecord } from "../model/record.js";
import { isoTime } from "../util/clock.js";
import { formatDuration, HOUR_MS, parseDuration } from "../util/duration.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { DEFAULT_KEEPALIVE_FILE } from "../constants/keepalive.js";

/** "YYYY-MM-DD hh:mm:ss" in UTC: the one date form both busybox and GNU touch -d accept. */
function touchDate(ms: number): string {
  return isoTime(ms).slice(0, 19).replace("T", " ");
}

/**
 * Keeps a container from idle stops for a while (capped by keepalive_max_duration_h). Works by
 * dating the container's own keep-alive file so that it expires at the chosen time; as root it is
 * also recorded and audited in ds01's store.
 */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPECS.keepalive.options);
  const target = positionals[0];
  if (!target || positionals.length > 1) throw new InvalidInputError("name one container");
  const askedArg = values.for === undefined ? null : parseDuration(values.for, "--for", "h");
  const root = ctx.uid === 0;
  const env = await openPassEnv(ctx, { readonlyStore: !root });
  try {
    const now = ctx.clock.now();
    const info = await env.deps.runtime.inspect(target);
    if (!info) throw new InvalidInputError(`no container named or with id "${target}"`);
    const identity = identify(info, env.deps.identity);
    if (!root && identity.owner !== ctx.userName) throw new InvalidInputError(`${info.name} belongs to ${identity.owner}, not to you`);
    if (info.state !== "running") throw new InvalidInputError(`${info.name} is ${info.state}; only running containers are idle-stopped`);
    const policy = createPolicyView(env.config, now).forOwner(identity.owner).policies;
    if (policy.idle_applies_to === "gpu" && !identity.hasGpu) {
      // Nothing to postpone: the planner never stops it for idleness (nor for runtime).
      const why = `${info.name} holds no GPU and idle_applies_to is gpu: ds01 does not stop it for idleness, so there is nothing to keep alive`;
      if (values.json) printJson(ctx, { container: info.name, container_id: info.id, until: null, capped: false, file_written: false, idle_applies: false, note: why });
      else ctx.out(`${why}\n`);
      return 0;
    }
    const maxMs = policy.keepalive_max_duration_h === null ? null : policy.keepalive_max_duration_h * HOUR_MS;
    const askedMs = askedArg ?? maxMs ?? 24 * HOUR_MS;
    const forMs = maxMs === null ? askedMs : Math.min(askedMs, maxMs);
    const until = now + forMs;
    // The file is honoured while (now - mtime) < max: an mtime of until - max makes it lapse at `until`.
    const mtime = maxMs === null ? now : until - maxMs;
    const file = policy.keepalive_file ?? DEFAULT_KEEPALIVE_FILE;
    const dir = file.slice(0, file.lastIndexOf("/")) || "/";
    const r = await env.deps.runtime.exec(info.id, ["sh", "-c", 'mkdir -p -- "$1" && TZ=UTC touch -d "$2" -- "$3"', "sh", dir, touchDate(mtime), file], { timeoutMs: 10_000 });
    const fileOk = r.exitCode === 0;
    if (root) {
      const rec = env.store.get(info.id) ?? newRecord(info.id, info.name, identity.owner, now);
      env.store.commit([{ ...rec, keepaliveUntil: until, selfExecAt: Date.now() /* wall clock, like counter samples */ }], [
        { time: now, type: EVENT.keepaliveSet, user: identity.owner, container: info.name, containerId: info.id, details: { until, asked_s: askedMs / 1000, capped: askedMs > forMs, file_written: fileOk, by: ctx.userName } },
      ]);
    } else if (!fileOk) {
      throw new Error(`could not write ${file} inside ${info.name} (exit ${r.exitCode}); touch it yourself from inside the container`);
    }
    const capped = askedMs > forMs ? ` (capped at keepalive_max_duration_h = ${formatDuration(forMs)})` : "";
    if (values.json) printJson(ctx, { container: info.name, container_id: info.id, until: isoTime(until), capped: askedMs > forMs, file_written: fileOk, idle_applies: true });
    else ctx.out(`${info.name} will not be stopped for idleness before ${isoTime(until)}${capped}. Max runtime still applies.\n`);
    return 0;
  } finally {
    env.close();
  }
}
