// The Docker engine as one-shot commands (`ds01 check`, `ds01 status`, `ds01 explain`) see it: the
// inspect cache lives in the state directory between runs (the daemon keeps its own in memory).
import { join } from "node:path";
import { DockerRuntime } from "../docker/docker-runtime.js";
import { INSPECT_CACHE_FILE } from "../docker/inspect-cache-file.js";
import { defaultStateDir, type StateDirContext } from "../store/state-dir.js";

export function oneShotDockerRuntime(ctx: StateDirContext): DockerRuntime {
  return new DockerRuntime({ dockerHost: ctx.env.DOCKER_HOST, inspectCacheFile: join(defaultStateDir(ctx), INSPECT_CACHE_FILE) });
}
