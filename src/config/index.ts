// The config module's public surface.
export { loadConfig, type LoadOptions } from "./load-config.js";
export { CONFIG_FILES, type GroupConfig, type LoadedConfig } from "./loaded-config.js";
export { ConfigError } from "./config-error.js";
export { formatProblem, type ConfigProblem } from "./problems.js";
export { resolvePolicy, strictestPolicy, memberGroupOf } from "./resolve-policy.js";
export { effectiveTimeouts, exemptionFor, containerHoldS } from "./effective.js";
export { locateConfigDir, bundledConfigDir, packageRoot, SYSTEM_CONFIG_DIR, type ConfigDirSource } from "./locate-config-dir.js";
export { configFingerprint } from "./fingerprint.js";
export { sanitiseUsername } from "./sanitise-username.js";
export { parseIsoTime, parseEnforcement, isActiveAt, type Exemption } from "./exemptions.js";
export { BUILTIN_LIMITS, BUILTIN_POLICIES, BUILTIN_APP } from "./builtin-defaults.js";
