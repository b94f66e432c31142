// `ds01 gate [--socket PATH] [--engine PATH]`: the Docker API gate in the foreground (systemd runs
// it as ds01-gate.service). Composition root of the gate: config, store, ownership records, the
// socket, reload and signals. It does not need the ds01 daemon.
import { dirname } from "node:path";
import { EVENT } from "../constants/event-types.js";
import { ConfigReloader } from "../daemon/config-reloader.js";
import { InvalidInputError, errorText } from "../errors.js";
import { nssAccounts } from "../gate/accounts.js";
import { Gate } from "../gate/gate-server.js";
import { OwnershipStore, containerRecordLookup } from "../gate/ownership.js";
import { gateGpus } from "../gate/gate-allocator.js";
import { openReservationDb } from "../allocation/reservation-store.js";
import { prepareSocketPath, secureSocket } from "../gate/socket-file.js";
import { setuidExposure } from "../gate/setuid-exposure.js";
import { locateConfigDir } from "../config/locate-config-dir.js";
import { loadConfigInChild } from "../config/load-in-child.js";
import { CONFIG_CACHE_FILE } from "../config/config-cache.js";
import { openAuditStore } from "../compose/audit-store.js";
import { identityOptions } from "../compose/identity.js";
import { gpuProbe } from "../compose/gpu-probe.js";
import { defaultStateDir } from "../store/index.js";
import { createLogger, type LogLevel } from "../util/log.js";
import { EventStream } from "../daemon/event-stream.js";
import { realTimers } from "../daemon/timers.js";
import { DockerRuntime } from "../docker/docker-runtime.js";
import { QUEUE_SNAPSHOT_FILE, QueueSnapshotWriter } from "../gate/queue-snapshot.js";
import { ContainerView, RELIST_MS } from "../gate/container-view.js";
import { join } from "node:path";
import { createPolicyView } from "../pass/policy-view.js";
import { nextStepNow } from "../policy/explain.js";
import { unlink } from "node:fs/promises";
import { cgroupParts } from "../cgroups/wiring.js";
import { updateParents } from "../cgroups/reconcile.js";
import { resolvePolicy } from "../config/resolve-policy.js";
import { trimAfterGrowth } from "../util/malloc-trim.js";
import { parseCommandArgs, type CliContext } from "./context.js";

const USAGE = "ds01 gate [--socket PATH] [--engine PATH]";
const RELOAD_CHECK_MS = 5000;
const QUEUE_RECHECK_MS = 15_000;
// Memory a burst of work left free in the C heap goes back to the system (src/util/malloc-trim.ts).
const TRIM_CHECK_MS = 30_000;
const TRIM_GROWTH_BYTES = 8 * 1024 * 1024;

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { socket: { type: "string" }, engine: { type: "string" } }, USAGE);
  if (positionals.length > 0) throw new InvalidInputError(`unexpected argument "${positionals[0]}"\nusage: ${USAGE}`);
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === "string" && !v.startsWith("/")) throw new InvalidInputError(`--${k} needs an absolute path, got "${v}"\nusage: ${USAGE}`);
  }
  if (ctx.uid !== 0) throw new InvalidInputError("ds01 gate must run as root (it reads callers' credentials and owns dockerd's socket)");
  const log = createLogger({ level: (ctx.env.DS01_LOG_LEVEL as LogLevel | undefined) ?? "info" });
  // The config is read and validated in a child process (also on reload): the YAML and schema
  // libraries would otherwise stay in the gate's memory for good.
  // Kept in the state directory's config cache (shared with the one-shot commands) between changes.
  const { dir } = locateConfigDir(ctx);
  const stateDir = defaultStateDir(ctx);
  const load = (d: string) => loadConfigInChild(d, { cacheFile: join(stateDir, CONFIG_CACHE_FILE) });
  const config = await load(dir);
  const socketPath = values.socket ?? config.gate.socket;
  const engineSocket = values.engine ?? config.gate.engine_socket;
  if (socketPath === engineSocket) throw new InvalidInputError(`the gate's socket and the engine's socket are both ${socketPath}; move dockerd to its own socket (ds01 install --gate)`);

  // The gate's commits sit on its clients' answers (a create's owner record): synced just after
  // they return, not inside them (a crash of the gate loses none of them either way).
  const backgroundSync = { onError: (e: unknown) => log.warn({ error: errorText(e) }, "gate: the state store could not be synced to disk; its last records may not survive a power cut") };
  const store = openAuditStore(stateDir, config, { clock: ctx.clock, busyTimeoutMs: 2000, log, backgroundSync });
  const owners = new OwnershipStore(store);
  const reservations = openReservationDb(stateDir, { timeoutMs: 2_000 });
  const gateRecord = containerRecordLookup(store);
  const identity = (c: typeof config) => identityOptions(c, gateRecord);
  let current = config;
  const engine = new DockerRuntime({ dockerHost: `unix://${engineSocket}` });
  const view = new ContainerView({ runtime: () => engine, identity: () => identity(current), clock: ctx.clock, log });
  const gpus = (c: typeof config) =>
    gateGpus({
      config: c,
      runtime: engine,
      probe: gpuProbe(c, ctx.env),
      stateDir,
      reservations: reservations.store,
      identity: identity(c),
      clock: ctx.clock,
      env: ctx.env,
      appendEvent: (e) => store.append(e),
      view,
      nextStep: (now, all, inventory) => {
        const view = createPolicyView(c, now);
        const records = new Map(store.all().map((r) => [r.containerId, r]));
        return (x) => nextStepNow({ now, containers: all, gpus: inventory }, view, x, records.get(x.id) ?? null);
      },
    });
  const snapshot = new QueueSnapshotWriter(stateDir, ctx.clock, (e) => log.warn({ error: errorText(e) }, "gate: the GPU queue snapshot could not be written"));
  const queue = { clock: ctx.clock, timers: realTimers, snapshot };
  const parts = cgroupParts({ info: () => gate.engineInfo(), config: () => current });
  const gate = new Gate(config, { engineSocket, accounts: nssAccounts(), owners, audit: (e) => store.append(e), log, identity, gpus, queue, transaction: (fn) => store.transaction(fn), cgroups: (c) => parts.admission(c) });
  /** Existing users' parents get the new config's aggregate limits. */
  const updateCgroups = async (c: typeof config) => {
    const cg = await parts.cgroups();
    const users = await gate.containerOwners();
    for (const u of await updateParents(cg, users, (user) => resolvePolicy(c, user, Date.now()))) {
      if (u.error) log.warn({ user: u.parent.user, parent: u.parent.cgroupParent, error: u.error }, "gate: aggregate limits not updated");
      if (u.kept.length > 0) log.warn({ user: u.parent.user, parent: u.parent.cgroupParent, kept: u.kept }, "gate: aggregate CPU quota not lowered yet: a running container has more");
    }
  };
  // Waiting GPU creates are served when Docker says a container went away (its slots may be free);
  // the slow re-check covers frees that make no Docker event (a reservation expiring, `gpu release`).
  const engineEvents = new EventStream({
    runtime: () => engine,
    onEvent: (e) => {
      view.onEvent(e);
      const name = e.name ?? e.id.slice(0, 12);
      if (e.action === "destroy") gate.containerRemoved(e.id, name);
      else if (e.action === "die") gate.slotsMayHaveFreed(`container ${name} exited`);
    },
    // An image tagged, pulled, loaded or removed beside the gate: image labels are read afresh.
    onImageEvent: () => gate.imagesChanged(),
    onUp: () => {
      gate.followingImageEvents(true);
      view.streamState(true);
      gate.slotsMayHaveFreed("Docker events resumed");
    },
    onDown: (error) => {
      gate.followingImageEvents(false);
      view.streamState(false);
      log.warn({ error }, "gate: Docker event stream down; GPU creates list the engine, waiting ones are re-checked every 15 s");
    },
    timers: realTimers,
    log,
  });
  const recheck = setInterval(() => gate.waitingForGpus > 0 && gate.slotsMayHaveFreed("periodic re-check"), QUEUE_RECHECK_MS);
  recheck.unref();
  // Level-triggered all the same: the picture is listed again now and then, whatever the events said.
  const relist = setInterval(() => view.tick(), RELIST_MS);
  relist.unref();
  const trimmer = trimAfterGrowth({ everyMs: TRIM_CHECK_MS, growthBytes: TRIM_GROWTH_BYTES });
  const reloader = new ConfigReloader({ dir, load });
  await reloader.baseline();

  let stop: (why: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const onSignal = (sig: NodeJS.Signals) => stop(sig);
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // Parents still holding the limits of an earlier config (their update failed: the engine's
  // listing timed out, say) are updated again at the next check, not only at the next edit.
  let cgroupsBehind = false;
  const applyCgroups = async (c: typeof config) => {
    cgroupsBehind = true;
    await updateCgroups(c);
    cgroupsBehind = false;
  };
  const reload = async () => {
    const r = await reloader.check();
    if (r.kind === "reloaded") {
      current = r.config;
      gate.setConfig(r.config);
      log.info({ dir }, "gate: config reloaded");
    } else if (r.kind === "failed") log.error({ dir, problems: r.problems }, "gate: config reload refused, the last good config stays");
    if (r.kind === "reloaded" || cgroupsBehind) await applyCgroups(current).catch((e) => log.warn({ error: errorText(e) }, "gate: aggregate limits not updated; trying again at the next check"));
  };
  // SIGHUP: the config checked now, and the GPUs read again at the next create (a new MIG layout).
  const onHup = () => {
    gate.rereadGpus();
    void reload();
  };
  process.on("SIGHUP", onHup);
  const timer = setInterval(() => void reload().catch((e) => log.error({ error: errorText(e) }, "gate: config check failed")), RELOAD_CHECK_MS);
  timer.unref();
  try {
    try {
      await prepareSocketPath(socketPath);
      await gate.listen(socketPath);
      const warning = await secureSocket(socketPath, config.gate.socket_group);
      if (warning) log.warn({ socket: socketPath }, `gate: ${warning}`);
    } catch (e) {
      ctx.err(`ds01: the gate cannot listen on ${socketPath}: ${errorText(e)}\n`);
      return 1;
    }
    engineEvents.start();
    store.append({ time: ctx.clock.now(), type: EVENT.gateStarted, user: null, container: null, containerId: null, details: { socket: socketPath, engine: engineSocket, pid: process.pid } });
    log.info({ socket: socketPath, engine: engineSocket, engine_dir: dirname(engineSocket) }, "gate: listening");
    void parts
      .cgroups()
      .then((cg) => log.info({ driver: cg.setup.driver, version: cg.setup.version, root: current.cgroups.root }, "gate: cgroup setup for aggregate limits"))
      .catch((e: unknown) => log.warn({ error: errorText(e) }, "gate: cgroup setup unknown; creates of users with aggregate limits are refused until it is known"));
    void setuidExposure(() => gate.engineInfo(), current.gate.allowed_bind_roots)
      .then((exposed) => {
        for (const x of exposed)
          log.warn({ bind_root: x.root, mount: x.mountPoint, missing: x.missing, fix: `run dockerd with "userns-remap", or mount ${x.mountPoint} ${x.missing.join(",")}` }, "gate: a container can plant a root-owned setuid program or device node through this bind root");
      })
      .catch((e: unknown) => log.warn({ error: errorText(e) }, "gate: could not check whether bind roots are nosuid"));
    const why = await stopped;
    await engineEvents.stop();
    await gate.close();
    await unlink(join(stateDir, QUEUE_SNAPSHOT_FILE)).catch(() => undefined);
    await unlink(socketPath).catch(() => undefined);
    store.append({ time: ctx.clock.now(), type: EVENT.gateStopped, user: null, container: null, containerId: null, details: { reason: why } });
    log.info({ reason: why }, "gate: stopped");
    await store.synced();
    return 0;
  } finally {
    clearInterval(timer);
    clearInterval(recheck);
    clearInterval(relist);
    trimmer.stop();
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    process.off("SIGHUP", onHup);
    reservations.close();
    store.close();
  }
}
