// The GPU probe, built one way for every caller: nvidia-smi as the config names it, with its deadline.
// Light imports only: one-shot commands build it before loading the rest of themselves.
import type { LoadedConfig } from "../config/loaded-config.js";
import { NvidiaSmiProbe } from "../gpu/nvidia-smi-probe.js";

export function gpuProbe(config: Pick<LoadedConfig, "gpu">, env: NodeJS.ProcessEnv): NvidiaSmiProbe {
  return new NvidiaSmiProbe({ path: config.gpu.nvidia_smi, timeoutMs: config.gpu.probe_timeout_s * 1000, env });
}
