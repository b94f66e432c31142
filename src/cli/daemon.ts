// `ds01 daemon [--listen ADDR] [--once]`: the long-running control loop. This file is the daemon's
// composition root: lock, config, store, Daemon, signals. The pass lock is held for the daemon's
// whole life, so a second daemon or a `ds01 check` is refused with who holds it (exit 1).
import { join } from "node:path";
import { BROKER_SOCKET_FILE } from "../allocation/broker/protocol.js";
import { openReservationDb, type ReservationDb } from "../allocation/reservation-store.js";
import { Daemon } from "../daemon/daemon.js";
import { CONTROL_SOCKET_FILE } from "../daemon/control-socket.js";
import { formatListenAddress, parseListenAddress } from "../daemon/listen-address.js";
import { errorText } from "../errors.js";
import { openAuditStore } from "../compose/audit-store.js";
import { loadContextConfig } from "../compose/config.js";
import { engineRuntime, everyContainerLister } from "../compose/docker.js";
import { depsFor } from "../compose/pass-env.js";
import { acquirePassLock, defaultStateDir, type Store } from "../store/index.js";
import { isoTime } from "../util/clock.js";
import { createLogger, logFormatFor, type LogLevel } from "../util/log.js";
import { parseCommandArgs, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { packageVersion } from "./version.js";
import { UserCgroupWatch } from "../cgroups/daemon-watch.js";
import { cgroupParts } from "../cgroups/wiring.js";
import { preferMemoryOverSpeed } from "../launch/low-memory-v8.js";

const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS.daemon.options);
  const log = createLogger({ level: (ctx.env.DS01_LOG_LEVEL as LogLevel | undefined) ?? "info", format: logFormatFor(ctx.env) });
  const { config, dir } = await loadContextConfig(ctx); // an invalid config at start: exit 2 with FILE:LINE:COL
  const listen = parseListenAddress(values.listen ?? config.daemon.listen);
  const stateDir = defaultStateDir(ctx);

  const lock = acquirePassLock(stateDir, "ds01 daemon", { clock: ctx.clock });
  if (!lock.acquired) {
    const h = lock.heldBy;
    ctx.err(`ds01: the pass lock in ${stateDir} is held by ${h.holder}${h.pid ? ` (pid ${h.pid})` : ""}${h.since ? ` since ${isoTime(h.since)}` : ""}; only one daemon or pass may run at a time\n`);
    return 1;
  }
  preferMemoryOverSpeed(ctx.env);

  // Signals are caught from here on, so a SIGTERM during startup still shuts down in order.
  let stopReason: string | null = null;
  let wake: (() => void) | null = null;
  const stopRequested = new Promise<void>((resolve) => (wake = resolve));
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopReason === null) stopReason = sig;
    wake?.();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);

  let store: Store | null = null;
  let reservations: ReservationDb | null = null;
  try {
    store = openAuditStore(stateDir, config, { clock: ctx.clock, log });
    // A short lock wait: the broker runs on the daemon's event loop; if a caller deciding on its own
    // holds the lock that long, the broker's callers are told to decide on their own too.
    reservations = openReservationDb(stateDir, { timeoutMs: 2_000 });
    const daemon = new Daemon({
      config,
      configDir: dir,
      store,
      makeDeps: (c, l) => depsFor(ctx, c, store!, l),
      listen,
      clock: ctx.clock,
      log,
      version: packageVersion(),
      allocation: { socketPath: join(stateDir, BROKER_SOCKET_FILE), reservations: reservations.store, listAll: everyContainerLister(ctx) },
      controlSocketPath: join(stateDir, CONTROL_SOCKET_FILE),
      cgroupWatch: new UserCgroupWatch({
        cgroups: cgroupParts({ info: () => engineRuntime(ctx).client.request({ method: "GET", path: "/info" }), config: () => config }).cgroups,
        append: (e) => store!.append(e),
        log,
        now: () => ctx.clock.now(),
      }),
    });
    try {
      await daemon.start();
    } catch (e) {
      log.error({ error: errorText(e), listen: formatListenAddress(listen) }, "daemon failed to start");
      await daemon.stop("failed to start");
      ctx.err(`ds01: daemon failed to start: ${errorText(e)}\n`);
      return 1;
    }
    if (values.once) await Promise.race([daemon.waitForPasses(1), stopRequested]);
    else await stopRequested;
    await daemon.stop(stopReason ?? "once");
    return 0;
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    reservations?.close();
    store?.close();
    lock.lock.release();
  }
}
