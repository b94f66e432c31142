// Builds the cgroup parts for a config: the setup (asked of the engine once, bounded), the
// UserCgroups on the real tree, and the admission port both front ends use.
import { cachedPolicy } from "../config/policy-cache.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { TransientError } from "../errors.js";
import { execFileWithTimeout } from "../util/exec.js";
import type { CgroupAdmission } from "./admission.js";
import { nodeCgroupFs } from "./node-cgroup-fs.js";
import { cachedSetup, detectCgroupSetup, type CgroupSetup } from "./setup.js";
import { PreparedParents, UserCgroups } from "./user-cgroups.js";

/** systemctl's deadline (daemon-reload, stop of a slice). */
export const SYSTEMCTL_TIMEOUT_MS = 30_000;

export async function systemctl(args: string[]): Promise<void> {
  const r = await execFileWithTimeout("systemctl", args, { timeoutMs: SYSTEMCTL_TIMEOUT_MS, maxBytes: 1024 * 1024 });
  if (r.code !== 0) throw new TransientError(`systemctl ${args.join(" ")} exited ${r.code ?? r.signal}: ${r.stderr.toString("utf8").trim().slice(0, 300)}`, "systemctl");
}

export interface CgroupParts {
  /** The UserCgroups for this host and config (default: `config()`); detects the setup at the first call, rejects while it cannot. */
  cgroups(config?: LoadedConfig): Promise<UserCgroups>;
  /** For admission, resolving policies from `config()` at each call. */
  admission(config: () => LoadedConfig): CgroupAdmission;
}

/** `info` is the engine's GET /info. Paths come from the config at each call (a reload may move them). */
export function cgroupParts(opts: { info: () => Promise<unknown>; config: () => LoadedConfig; setup?: () => Promise<CgroupSetup> }): CgroupParts {
  const setup = opts.setup ?? cachedSetup(() => detectCgroupSetup(opts.info));
  const prepared = new PreparedParents();
  const cgroups = async (config?: LoadedConfig) => {
    const c = (config ?? opts.config()).cgroups;
    return new UserCgroups({ setup: await setup(), root: c.root, unitDir: c.unit_dir, fs: nodeCgroupFs, systemctl, now: Date.now, prepared });
  };
  return {
    cgroups,
    admission: (config) => ({
      policyFor: (user) => cachedPolicy(config(), user, Date.now()),
      prepare: async (user, group, caps) => (await cgroups()).prepare(user, group, caps),
    }),
  };
}
