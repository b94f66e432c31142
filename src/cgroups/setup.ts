// Which cgroup layout Docker puts containers in: its cgroup driver (cgroupfs or systemd) and the
// cgroup version of the host. Read from the engine's /info (`CgroupDriver`, `CgroupVersion`) with a
// deadline; an answer ds01 does not understand is an error, never a guess.
import { TransientError } from "../errors.js";

export const CGROUP_DRIVERS = ["cgroupfs", "systemd"] as const;
export type CgroupDriver = (typeof CGROUP_DRIVERS)[number];
export type CgroupVersion = 1 | 2;

export interface CgroupSetup {
  driver: CgroupDriver;
  version: CgroupVersion;
}

/** How long detection waits for the engine's /info. */
export const DETECT_TIMEOUT_MS = 5_000;

/** The setup from an /info answer, or why it cannot be used. */
export function setupFromInfo(info: unknown): CgroupSetup | string {
  const o = (typeof info === "object" && info !== null ? info : {}) as Record<string, unknown>;
  const driver = o.CgroupDriver;
  const version = String(o.CgroupVersion ?? "1"); // engines before API 1.40 report no version: v1
  if (driver !== "cgroupfs" && driver !== "systemd") return `the engine's cgroup driver is ${JSON.stringify(driver ?? null)}; ds01 knows cgroupfs and systemd`;
  if (version !== "1" && version !== "2") return `the engine reports cgroup version ${JSON.stringify(o.CgroupVersion)}; ds01 knows 1 and 2`;
  return { driver, version: version === "2" ? 2 : 1 };
}

/** Asks the engine (`info()` is GET /info) within `timeoutMs`; rejects with a TransientError. */
export async function detectCgroupSetup(info: () => Promise<unknown>, timeoutMs = DETECT_TIMEOUT_MS): Promise<CgroupSetup> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransientError(`the engine did not say its cgroup driver within ${timeoutMs} ms`, "docker")), timeoutMs);
  });
  try {
    const r = setupFromInfo(await Promise.race([info(), deadline]));
    if (typeof r === "string") throw new TransientError(r, "docker");
    return r;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Detects once and remembers a success; a failure is retried at the next call (the engine may
 * have been restarting), so one bad moment does not disable per-user limits for good.
 */
export function cachedSetup(detect: () => Promise<CgroupSetup>): () => Promise<CgroupSetup> {
  let known: CgroupSetup | null = null;
  let pending: Promise<CgroupSetup> | null = null;
  return async () => {
    if (known) return known;
    pending ??= detect().finally(() => (pending = null));
    known = await pending;
    return known;
  };
}
