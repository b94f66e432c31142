import type { PassLockHolder } from "../store/index.js";
import { isoTime } from "../util/clock.js";

/**
 * Why a pass cannot run now, with advice that can work: the daemon holds the lock for as long as
 * it runs (and runs these passes itself), so "try again later" would never succeed.
 */
export function lockHeldText(h: PassLockHolder, what: string): string {
  const who = `${h.holder}${h.pid ? `, pid ${h.pid}` : ""}${h.since ? `, since ${isoTime(h.since)}` : ""}`;
  if (h.holder === "ds01 daemon") {
    return `the daemon (${who}) holds the pass lock and runs ${what} in every pass itself; --dry-run shows what it would do now, or stop the daemon to run one here`;
  }
  return `another pass is running (${who}); run again when it has finished`;
}
