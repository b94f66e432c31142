// The Docker engine, built one way: at the caller's DOCKER_HOST; for one-shot commands with the
// inspect cache kept in the state directory between runs (the daemon keeps its own in memory).
// DS01_SCOPE_LABEL narrows what the janitor sees, never what allocation sees.
import { join } from "node:path";
import { DockerRuntime } from "../docker/docker-runtime.js";
import type { IdentityOptions } from "../docker/identity.js";
import { INSPECT_CACHE_FILE } from "../docker/inspect-cache-file.js";
import { listObserved } from "../docker/list-observed.js";
import type { ObservedContainer } from "../model/container.js";
import type { ContainerRuntime } from "../model/ports.js";
import { parseScope, scopedRuntime } from "../pass/scoped-runtime.js";
import { defaultStateDir, type StateDirContext } from "../store/state-dir.js";

type EnvContext = { env: NodeJS.ProcessEnv };

/** Every container of the engine at DOCKER_HOST (unset: the local socket). */
export function engineRuntime(ctx: EnvContext): DockerRuntime {
  return new DockerRuntime({ dockerHost: ctx.env.DOCKER_HOST });
}

/** The same engine as one-shot commands (`ds01 check`, `status`, `explain`) see it: the inspect cache lives in the state directory. */
export function oneShotEngineRuntime(ctx: StateDirContext): DockerRuntime {
  return new DockerRuntime({ dockerHost: ctx.env.DOCKER_HOST, inspectCacheFile: join(defaultStateDir(ctx), INSPECT_CACHE_FILE) });
}

/** What the janitor judges and acts on: the engine narrowed to DS01_SCOPE_LABEL when it is set. */
export function janitorRuntime(ctx: EnvContext, engine: ContainerRuntime): ContainerRuntime {
  return scopedRuntime(engine, parseScope(ctx.env.DS01_SCOPE_LABEL));
}

/**
 * Where DS01_SCOPE_LABEL narrows the janitor, allocation must still see every container: this
 * lists them all (unscoped), identified; null when no scope is set (the daemon's fleet is complete).
 */
export function everyContainerLister(ctx: EnvContext): ((identity: IdentityOptions) => Promise<ObservedContainer[]>) | null {
  if (!parseScope(ctx.env.DS01_SCOPE_LABEL)) return null;
  const engine = engineRuntime(ctx);
  return (identity) => listObserved(engine, identity);
}
