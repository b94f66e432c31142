// One GPU observation: nvidia-smi inventory, then (optionally) dcgm-exporter MIG activity, then
// PID → container attribution. Never throws: nvidia-smi failures are `inventory.error`; a dcgm
// failure leaves the activity unknown and is reported in `dcgmError`.
import { errorText } from "../errors.js";
import type { GpuInventory } from "../model/gpu.js";
import type { GpuProbe, HostProcesses } from "../model/ports.js";
import type { Logger } from "../util/log.js";
import { attributeProcesses } from "./attribute-processes.js";
import { applyDcgmActivity } from "./dcgm-metrics.js";
import { DEFAULT_DCGM_TIMEOUT_MS, scrapeDcgm } from "./dcgm-scrape.js";

export interface ObserveGpusDeps {
  probe: GpuProbe;
  hostProcesses: HostProcesses;
  /** Config `gpu.dcgm_exporter_url`; null = not configured. */
  dcgmExporterUrl?: string | null;
  dcgmTimeoutMs?: number;
  logger?: Logger;
  /** Told of each failed dcgm-exporter scrape (the daemon counts them). */
  onDcgmError?: () => void;
}

export interface GpuObservation {
  inventory: GpuInventory;
  /** Why dcgm-exporter could not be read (null when it was, or is not configured). */
  dcgmError: string | null;
}

export async function observeGpus(deps: ObserveGpusDeps): Promise<GpuObservation> {
  let inventory = await deps.probe.inventory();
  let dcgmError: string | null = null;
  if (inventory.error === null && deps.dcgmExporterUrl) {
    try {
      inventory = applyDcgmActivity(inventory, await scrapeDcgm(deps.dcgmExporterUrl, deps.dcgmTimeoutMs ?? DEFAULT_DCGM_TIMEOUT_MS));
    } catch (e) {
      dcgmError = errorText(e);
      deps.onDcgmError?.();
      deps.logger?.warn({ url: deps.dcgmExporterUrl, error: dcgmError }, "dcgm-exporter scrape failed");
    }
  }
  if (inventory.error === null) inventory = await attributeProcesses(inventory, deps.hostProcesses);
  return { inventory, dcgmError };
}
