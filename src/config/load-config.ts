// loadConfig(dir): reads resource-limits.yaml and its sibling files, validates all of them, and either
// returns a typed LoadedConfig or throws ConfigError listing EVERY problem as FILE:LINE:COLUMN: KEY: msg.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { isMap, isScalar } from "yaml";
import { legacyNamesOf, normaliseOverrides, normaliseResourceLimits } from "./aliases.js";
import { BUILTIN_APP, BUILTIN_DEFAULT_GROUP } from "./builtin-defaults.js";
import { normaliseCapability } from "./capability.js";
import { ConfigError } from "./config-error.js";
import { EXEMPTIONS_YAML_VERSION, readExemptions, type Exemption } from "./exemptions.js";
import { CONFIG_FILES, type GateConfig, type GroupConfig, type LoadedConfig } from "./loaded-config.js";
import { parseMembers } from "./members.js";
import { ProblemList, type PathSegment } from "./problems.js";
import { readText, unreadableReason } from "./read-text.js";
import { LENIENT, STRICT, type ContainerTypeLayer, type OverrideLayer, type RawConfig, type RawOverrides } from "./schema.js";
import { validate } from "./validate.js";
import { parseYaml, problemAt, type YamlSource } from "./yaml-file.js";

export interface LoadOptions {
  /** Use this text as lifecycle-exemptions.yaml instead of the file (to validate an edit before writing it). */
  exemptionsText?: string;
}

const ZERO_WARNED = ["idle_timeout_h", "max_runtime_h", "gpu_hold_after_stop_h", "container_hold_after_stop_h"] as const;

export async function loadConfig(dir: string, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const problems = new ProblemList();
  const files = {
    resourceLimits: join(dir, CONFIG_FILES.resourceLimits),
    userOverrides: join(dir, CONFIG_FILES.userOverrides),
    lifecycleExemptions: join(dir, CONFIG_FILES.lifecycleExemptions),
    groupsDir: join(dir, CONFIG_FILES.groupsDir),
  };
  const fail = (file: string, message: string, at: { line?: number; col?: number } = {}) =>
    problems.add(problemAt("error", file, { line: at.line ?? 1, col: at.col ?? 1 }, [], message));

  // The directory itself: missing or unreadable is an error, never a fallback to defaults.
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) fail(dir, "the config directory is not a directory");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail(dir, code === "ENOENT" ? "the config directory does not exist" : `the config directory ${unreadableReason(code, e)}`);
  }
  if (problems.errors.length) throw new ConfigError(dir, problems.items);

  // resource-limits.yaml (required).
  let raw: RawConfig | null = null;
  let main: YamlSource | null = null;
  const rl = await readText(files.resourceLimits);
  if (rl.kind === "missing") fail(files.resourceLimits, "missing: the config directory must hold resource-limits.yaml");
  else if (rl.kind === "unreadable") fail(files.resourceLimits, rl.reason, rl);
  else {
    main = parseYaml(rl.text, files.resourceLimits, problems, { altKeys: legacyNamesOf });
    if (main.value !== undefined) raw = readResourceLimits(main);
  }

  const groupNames = main ? groupOrder(main) : null;
  const defaultGroup = raw?.default_group ?? BUILTIN_DEFAULT_GROUP;
  if (raw && groupNames && groupNames.length > 0 && !groupNames.includes(defaultGroup)) {
    if (raw.default_group !== undefined) main!.report("error", ["default_group"], `no group "${defaultGroup}" under groups: (groups: ${groupNames.join(", ")})`);
    else main!.report("error", ["default_group"], `missing, and there is no group "${BUILTIN_DEFAULT_GROUP}" to default to (groups: ${groupNames.join(", ")})`);
  }

  // user-overrides.yaml (optional); its entries replace the inline section's per user.
  const overrides = new Map<string, OverrideLayer>();
  const overrideSources = new Map<string, { src: YamlSource; base: PathSegment[] }>();
  for (const [user, layer] of Object.entries(raw?.user_overrides ?? {})) {
    overrides.set(user, layer);
    overrideSources.set(user, { src: main!, base: ["user_overrides", user] });
  }
  const uo = await readText(files.userOverrides);
  if (uo.kind === "unreadable") fail(files.userOverrides, uo.reason, uo);
  else if (uo.kind === "text") {
    const src = parseYaml(uo.text, files.userOverrides, problems, { altKeys: legacyNamesOf });
    if (src.value !== undefined && src.value !== null) {
      normaliseOverrides(src.value, [], src);
      const parsed = validate<typeof LENIENT.overrides>(STRICT.overrides, LENIENT.overrides, src.value, src) as RawOverrides | null;
      for (const [user, layer] of Object.entries(parsed ?? {})) {
        overrides.set(user, layer);
        overrideSources.set(user, { src, base: [user] });
      }
    }
  }
  for (const [user, layer] of overrides) {
    const where = overrideSources.get(user)!;
    if (groupNames && layer.group !== undefined && !groupNames.includes(layer.group)) {
      where.src.report("error", [...where.base, "group"], `no group "${layer.group}" under groups: in resource-limits.yaml (groups: ${groupNames.join(", ")})`);
    }
    warnZeroTimeouts(layer, where.src, where.base);
  }

  // groups/<group>.members (optional directory).
  const fileMembers = await readMembersFiles(files.groupsDir, groupNames, problems);

  // lifecycle-exemptions.yaml (optional).
  let exemptions: Exemption[] = [];
  const exText = opts.exemptionsText !== undefined ? ({ kind: "text", text: opts.exemptionsText } as const) : await readText(files.lifecycleExemptions);
  if (exText.kind === "unreadable") fail(files.lifecycleExemptions, exText.reason, exText);
  else if (exText.kind === "text") {
    const src = parseYaml(exText.text, files.lifecycleExemptions, problems, { version: EXEMPTIONS_YAML_VERSION });
    if (src.value !== undefined) exemptions = readExemptions(src.value, src);
  }

  if (problems.errors.length > 0 || !raw || !groupNames) throw new ConfigError(dir, problems.sorted());

  const groups: GroupConfig[] = groupNames.map((name) => {
    const layer = raw!.groups?.[name] ?? {};
    const fromFile = fileMembers.get(name);
    return {
      name,
      layer,
      members: [...new Set([...(fromFile?.users ?? []), ...(layer.members ?? [])])],
      membersFile: fromFile?.file ?? null,
    };
  });

  const n = raw.notifications ?? {};
  return {
    dir,
    files,
    defaultGroup,
    defaults: raw.defaults ?? {},
    policies: raw.policies ?? {},
    groups,
    userOverrides: overrides,
    containerTypes: new Map<string, ContainerTypeLayer>(Object.entries(raw.container_types ?? {})),
    exemptions,
    gpuAllocation: { slots_per_gpu: raw.gpu_allocation?.slots_per_gpu ?? BUILTIN_APP.gpu_allocation.slots_per_gpu },
    gpu: {
      nvidia_smi: raw.gpu?.nvidia_smi ?? BUILTIN_APP.gpu.nvidia_smi,
      probe_timeout_s: raw.gpu?.probe_timeout_s ?? BUILTIN_APP.gpu.probe_timeout_s,
      dcgm_exporter_url: raw.gpu?.dcgm_exporter_url ?? BUILTIN_APP.gpu.dcgm_exporter_url,
      expected: raw.gpu?.expected ?? BUILTIN_APP.gpu.expected,
    },
    daemon: {
      listen: raw.daemon?.listen ?? BUILTIN_APP.daemon.listen,
      sample_interval_s: raw.daemon?.sample_interval_s ?? BUILTIN_APP.daemon.sample_interval_s,
      pass_interval_s: raw.daemon?.pass_interval_s ?? BUILTIN_APP.daemon.pass_interval_s,
    },
    notifications: {
      webhook_url: n.webhook_url ?? BUILTIN_APP.notifications.webhook_url,
      admin_webhook_url: n.admin_webhook_url ?? BUILTIN_APP.notifications.admin_webhook_url,
      webhook_timeout_s: n.webhook_timeout_s ?? BUILTIN_APP.notifications.webhook_timeout_s,
      email: n.email ? { smtp_host: n.email.smtp_host, smtp_port: n.email.smtp_port ?? 25, from: n.email.from, admin_to: n.email.admin_to ?? [] } : null,
      container_alert_file: n.container_alert_file ?? BUILTIN_APP.notifications.container_alert_file,
    },
    monitoring: {
      infrastructure_containers: raw.monitoring?.infrastructure_containers ?? [...BUILTIN_APP.monitoring.infrastructure_containers],
      infrastructure_label: raw.monitoring?.infrastructure_label ?? BUILTIN_APP.monitoring.infrastructure_label,
    },
    events: { jsonl_path: raw.events?.jsonl_path ?? BUILTIN_APP.events.jsonl_path },
    accessControl: {
      admin_users: raw.access_control?.admin_users ?? [...BUILTIN_APP.access_control.admin_users],
      admin_group: raw.access_control?.admin_group ?? BUILTIN_APP.access_control.admin_group,
    },
    gate: gateConfig(raw.gate ?? {}),
    cgroups: { root: raw.cgroups?.root ?? BUILTIN_APP.cgroups.root, unit_dir: raw.cgroups?.unit_dir ?? BUILTIN_APP.cgroups.unit_dir },
    warnings: problems.sorted().filter((p) => p.severity === "warning"),
  };
}

function gateConfig(g: NonNullable<RawConfig["gate"]>): GateConfig {
  const d = BUILTIN_APP.gate;
  return {
    socket: g.socket ?? d.socket,
    socket_group: g.socket_group ?? d.socket_group,
    engine_socket: g.engine_socket ?? d.engine_socket,
    allowed_bind_roots: g.allowed_bind_roots ?? [...d.allowed_bind_roots],
    allowed_capabilities: (g.allowed_capabilities ?? [...d.allowed_capabilities]).map(normaliseCapability),
    allow_host_network: g.allow_host_network ?? d.allow_host_network,
    allow_buildkit: g.allow_buildkit ?? d.allow_buildkit,
    min_host_port: g.min_host_port ?? d.min_host_port,
    show_all_containers: g.show_all_containers ?? d.show_all_containers,
    allow_image_removal: g.allow_image_removal ?? d.allow_image_removal,
    max_create_body_kb: g.max_create_body_kb ?? d.max_create_body_kb,
    gpus_all: g.gpus_all ?? d.gpus_all,
    gpu_wait_s: g.gpu_wait_s ?? d.gpu_wait_s,
    max_connections_per_user: g.max_connections_per_user ?? d.max_connections_per_user,
    max_requests_per_s: g.max_requests_per_s ?? d.max_requests_per_s,
    stall_timeout_s: g.stall_timeout_s ?? d.stall_timeout_s,
    stall_min_rate_kib_s: g.stall_min_rate_kib_s ?? d.stall_min_rate_kib_s,
  };
}


function readResourceLimits(src: YamlSource): RawConfig | null {
  const v = src.value;
  if (v === null) {
    src.report("error", [], "the file is empty (it needs at least `defaults:` and `groups:`)");
    return null;
  }
  if (typeof v !== "object" || Array.isArray(v) || v instanceof Date) {
    src.report("error", [], "expected a mapping of sections (defaults:, groups:, policies:, ...)");
    return null;
  }
  normaliseResourceLimits(v, src);
  const raw = validate<typeof LENIENT.top>(STRICT.top, LENIENT.top, v, src) as RawConfig | null;
  if (!raw) return null;
  warnZeroTimeouts(raw.defaults, src, ["defaults"]);
  for (const [g, layer] of Object.entries(raw.groups ?? {})) warnZeroTimeouts(layer, src, ["groups", g]);
  for (const [t, layer] of Object.entries(raw.container_types ?? {})) warnZeroTimeouts(layer, src, ["container_types", t]);
  return raw;
}

/**
 * Group names in the order the YAML lists them (JS objects would put numeric names first). Read from
 * the document even when values are invalid, so members files can still be checked; null when the
 * file could not be parsed at all.
 */
function groupOrder(src: YamlSource): string[] | null {
  if (src.value === undefined) return null;
  const node = src.doc.get("groups", true);
  if (!isMap(node)) return [];
  return node.items.map((p) => (isScalar(p.key) ? String(p.key.value) : "")).filter((k) => k !== "");
}

function warnZeroTimeouts(layer: Partial<Record<(typeof ZERO_WARNED)[number], number | null>> | undefined, src: YamlSource, base: PathSegment[]): void {
  if (!layer) return;
  for (const k of ZERO_WARNED) {
    if (layer[k] === 0) src.report("warning", [...base, k], "0 means at once in ds01 (the original read 0 as no limit); write null for never");
  }
}

async function readMembersFiles(groupsDir: string, groupNames: string[] | null, problems: ProblemList): Promise<Map<string, { file: string; users: string[] }>> {
  const out = new Map<string, { file: string; users: string[] }>();
  let entries: string[];
  try {
    entries = (await readdir(groupsDir)).filter((f) => f.endsWith(".members")).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") problems.add(problemAt("error", groupsDir, { line: 1, col: 1 }, [], `the groups directory: ${unreadableReason(code, e)}`));
    return out;
  }
  for (const name of entries) {
    const group = name.slice(0, -".members".length);
    const file = join(groupsDir, name);
    // archived.members is the original's list of departed users for its sync job; the original ignores it too.
    if (group === "archived") continue;
    if (groupNames && !groupNames.includes(group)) {
      problems.add(problemAt("error", file, { line: 1, col: 1 }, ["groups", group], `unknown group "${group}": resource-limits.yaml has no such group (groups: ${groupNames.join(", ")})`));
      continue;
    }
    const r = await readText(file);
    if (r.kind === "missing") continue; // removed between listing and reading
    if (r.kind === "unreadable") {
      problems.add(problemAt("error", file, { line: r.line ?? 1, col: r.col ?? 1 }, ["groups", group, "members"], r.reason));
      continue;
    }
    const parsed = parseMembers(r.text, file, group);
    for (const p of parsed.problems) problems.add(p);
    out.set(group, { file, users: parsed.users });
  }
  return out;
}
