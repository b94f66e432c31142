// How containers are identified (owner, infrastructure), from the config: the same rule for the
// janitor, the allocator, `ds01 status` and the gate.
import type { LoadedConfig } from "../config/loaded-config.js";
import { DEFAULT_IDENTITY_OPTIONS, type IdentityOptions } from "../docker/identity.js";

export function identityOptions(config: Pick<LoadedConfig, "monitoring">, gateRecord?: IdentityOptions["gateRecord"]): IdentityOptions {
  return {
    ...DEFAULT_IDENTITY_OPTIONS,
    infrastructurePrefixes: config.monitoring.infrastructure_containers,
    protectedLabel: config.monitoring.infrastructure_label,
    ...(gateRecord ? { gateRecord } : {}),
  };
}
