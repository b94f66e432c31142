// What a non-admin may create. Every check reads the body the way dockerd will (json-fields.ts) and
// answers with a refusal that says what to do instead, or with the body to forward: the owner
// stamped, bind sources replaced by their resolved paths (so a later symlink swap cannot redirect
// the mount to another place than the one checked), and volumes to create for the caller first.
import { LABEL } from "../constants/labels.js";
import { normaliseCapability } from "../config/capability.js";
import type { GateConfig } from "../config/loaded-config.js";
import { field, fieldKey, isObject, setField, stringList, structField, structKeyProblem, type Json, type JsonObject } from "../docker/json-fields.js";

export interface Caller {
  uid: number;
  gid: number;
  pid: number;
  name: string;
  groups: readonly string[];
  admin: boolean;
}

export interface CreatePorts {
  /** realpath(3) of a host path; rejects (ENOENT…) like fs.realpath. */
  realpath(path: string): Promise<string>;
  /** The owner of a container by name or id (null: no such container). */
  containerOwner(ref: string): Promise<{ id: string; owner: string } | null>;
  /** The owner of a named volume: its owner name, "" when it has none, null when it does not exist. */
  volumeOwner(name: string): Promise<string | null>;
  /** A network by name or id: its name and owner ("" when none), null when it does not exist. */
  networkOwner(ref: string): Promise<{ name: string; owner: string } | null>;
  /** An image's own labels (merged into the container's by dockerd), {} when unknown. */
  imageLabels(image: string): Promise<Readonly<Record<string, string>>>;
}

export interface CreateSettings {
  gate: GateConfig;
  infrastructurePrefixes: readonly string[];
  protectedLabel: string;
}

export type CreateDecision =
  | { ok: true; body: JsonObject; volumesToCreate: string[] }
  | { ok: false; reason: string };

class Refusal extends Error {}
function refuse(reason: string): never {
  throw new Refusal(reason);
}

/** Labels a caller may not set: they claim an owner, an immunity or an allocation. */
function labelProblem(key: string, value: string, caller: Caller, s: CreateSettings): string | null {
  const k = key.toLowerCase();
  const v = value.trim().toLowerCase();
  if (k === LABEL.user && value.trim() !== caller.name) return `label ${key}=${value} names another owner; ds01 sets ${LABEL.user}=${caller.name} itself, leave it out`;
  if (k === LABEL.legacyUser.toLowerCase() && value.trim() !== caller.name) return `label ${key}=${value} names another owner; leave it out`;
  if (k === LABEL.protected || k === s.protectedLabel.toLowerCase()) return `label ${key} makes a container immune to ds01's limits; only an admin can set it (ask one for an exemption: ds01 exempt)`;
  if (k === LABEL.monitoring) return `label ${key} marks monitoring infrastructure; only an admin can set it`;
  if (k === LABEL.containerType && v === "infrastructure") return `label ${key}=infrastructure is for admin containers; leave it out or name another type`;
  if (k.startsWith("ds01.gpu")) return `label ${key} records a GPU allocation; ds01 writes it when it allocates, leave it out`;
  if (k === LABEL.userSanitized && value.trim() !== caller.name.replace(/[^a-z0-9_-]/gi, "_")) return `label ${key} names another owner; leave it out`;
  return null;
}

function boolOn(v: Json | undefined, what: string): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (v === true) return true;
  return refuse(`${what} must be true or false`);
}

function str(v: Json | undefined, what: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") return refuse(`${what} must be a string`);
  return v;
}

function list(v: Json | undefined, what: string, single = false): string[] {
  const out = stringList(v, { single });
  if (out === null) return refuse(`${what} must be a list of strings`);
  return out;
}

/** `{user}` in a root stands for the caller. Roots are compared as resolved directories. */
async function bindRoots(caller: Caller, s: CreateSettings, ports: CreatePorts): Promise<string[]> {
  const out: string[] = [];
  for (const root of s.gate.allowed_bind_roots) {
    const r = root.replaceAll("{user}", caller.name);
    try {
      out.push(await ports.realpath(r));
    } catch {
      // a root that does not exist (no home directory yet) allows nothing
    }
  }
  return out;
}

/**
 * dockerd mounts bind sources at every start, following symlinks as they are then. Before a start
 * through the gate each source must still be exactly the path admitted (no component swapped for a
 * symlink since) and under the caller's roots. Returns the problem, or null.
 */
export async function bindsChangedProblem(sources: readonly string[], caller: Caller, s: CreateSettings, ports: CreatePorts): Promise<string | null> {
  const roots = await bindRoots(caller, s, ports);
  for (const source of sources) {
    let real: string;
    try {
      real = await ports.realpath(source);
    } catch {
      continue; // missing: dockerd would create it, in a path that was checked at create
    }
    if (real !== source) return `the bind source ${source} now resolves to ${real} (a symlink was put in its path since the container was created); recreate the container`;
    if (!roots.some((r) => under(real, r))) return `the bind source ${source} is no longer under the directories you may mount; recreate the container`;
  }
  return null;
}

function under(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/** Resolves a bind source; a missing tail is resolved from its deepest existing ancestor. */
async function resolveBindSource(source: string, ports: CreatePorts): Promise<string> {
  if (!source.startsWith("/")) return refuse(`bind source "${source}" must be an absolute path`);
  const parts = source.split("/").filter(Boolean);
  if (parts.some((p) => p === "." || p === "..")) return refuse(`bind source "${source}" may not contain . or .. segments`);
  for (let n = parts.length; n >= 0; n--) {
    const head = `/${parts.slice(0, n).join("/")}`;
    try {
      const real = await ports.realpath(head);
      const rest = parts.slice(n).join("/");
      return rest ? `${real === "/" ? "" : real}/${rest}` : real;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") return refuse(`bind source "${source}" cannot be checked (${code ?? "error"})`);
    }
  }
  return refuse(`bind source "${source}" cannot be resolved`);
}

/** The caller's bind roots, resolved on first use (a create without binds resolves none). */
type Roots = () => Promise<string[]>;

async function checkedBind(source: string, rootsOf: Roots, caller: Caller, ports: CreatePorts): Promise<string> {
  const roots = await rootsOf();
  const resolved = await resolveBindSource(source, ports);
  if (!roots.some((r) => under(resolved, r))) {
    const where = resolved === source ? `"${source}"` : `"${source}" (which resolves to ${resolved})`;
    const allowed = roots.length ? roots.join(", ") : `none (no /home/${caller.name} on this host)`;
    refuse(`bind mount of ${where} is outside the directories you may mount (${allowed}); copy the data there or use a named volume`);
  }
  return resolved;
}

async function checkVolume(name: string, caller: Caller, ports: CreatePorts, toCreate: Set<string>): Promise<void> {
  const owner = await ports.volumeOwner(name);
  if (owner === null) toCreate.add(name);
  else if (owner === "") refuse(`volume "${name}" has no owner on record (an anonymous volume, or one made before the gate or by an admin); use a volume of your own`);
  else if (owner !== caller.name) refuse(`volume "${name}" belongs to ${owner}; use a volume of your own`);
}

/** A user-defined network to join: the caller's own only. */
async function checkNetwork(ref: string, caller: Caller, ports: CreatePorts): Promise<void> {
  const n = await ports.networkOwner(ref);
  if (n === null) refuse(`network "${ref}" does not exist`);
  if (n.name !== "bridge" && n.owner !== caller.name) refuse(`network "${ref}" is not yours (${n.owner ? `its owner is ${n.owner}` : "it has no owner on record"}); use a network of your own`);
}

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `src:dst[:opts]` → the entry with a checked source. */
async function checkBindsEntry(entry: string, roots: Roots, caller: Caller, ports: CreatePorts, toCreate: Set<string>): Promise<string> {
  const colon = entry.indexOf(":");
  if (colon <= 0) return entry; // an anonymous volume (`/data`): no host path involved
  const source = entry.slice(0, colon);
  const rest = entry.slice(colon);
  if (source.startsWith("/")) return `${await checkedBind(source, roots, caller, ports)}${rest}`;
  if (!VOLUME_NAME.test(source)) return refuse(`volume or bind source "${source}" is not a volume name nor an absolute path`);
  await checkVolume(source, caller, ports, toCreate);
  return entry;
}

const BIND_DRIVER_OPTS = ["type", "o", "device"];

function driverOptsProblem(opts: Json | undefined, where: string): string | null {
  if (opts === undefined || opts === null) return null;
  if (!isObject(opts)) return `${where} must be a mapping`;
  const keys = Object.keys(opts).map((k) => k.toLowerCase());
  if (keys.some((k) => BIND_DRIVER_OPTS.includes(k))) return `${where} with type/o/device mounts a host path or device into a volume; only an admin can create such a volume`;
  return null;
}

async function checkMounts(mounts: Json | undefined, roots: Roots, caller: Caller, ports: CreatePorts, toCreate: Set<string>): Promise<void> {
  if (mounts === undefined || mounts === null) return;
  if (!Array.isArray(mounts)) refuse("HostConfig.Mounts must be a list");
  for (const [i, m] of (mounts as Json[]).entries()) {
    if (!isObject(m)) return refuse(`HostConfig.Mounts[${i}] must be a mapping`);
    const type = str(field(m, "Type"), `HostConfig.Mounts[${i}].Type`).toLowerCase() || "volume";
    const source = str(field(m, "Source"), `HostConfig.Mounts[${i}].Source`);
    if (type === "bind") setField(m, "Source", await checkedBind(source, roots, caller, ports));
    else if (type === "volume") {
      const vo = structField(m, "VolumeOptions");
      if (vo === "bad") return refuse(`HostConfig.Mounts[${i}].VolumeOptions must be a mapping`);
      const dc = structField(vo, "DriverConfig");
      if (dc === "bad") return refuse(`HostConfig.Mounts[${i}].VolumeOptions.DriverConfig must be a mapping`);
      const problem = driverOptsProblem(field(dc, "Options"), `HostConfig.Mounts[${i}].VolumeOptions.DriverConfig.Options`);
      if (problem) refuse(problem);
      const driver = str(field(dc, "Name"), "VolumeOptions.DriverConfig.Name");
      if (driver !== "" && driver !== "local") refuse(`HostConfig.Mounts[${i}] uses volume driver "${driver}"; only the local driver is allowed`);
      if (source !== "") {
        if (!VOLUME_NAME.test(source)) refuse(`HostConfig.Mounts[${i}].Source "${source}" is not a volume name`);
        if (dc === null) await checkVolume(source, caller, ports, toCreate);
        else {
          const owner = await ports.volumeOwner(source);
          if (owner === null) refuse(`HostConfig.Mounts[${i}] would create volume "${source}" with driver options; create it first with docker volume create`);
          else if (owner !== caller.name) refuse(`volume "${source}" ${owner ? `belongs to ${owner}` : "has no owner on record"}; use a volume of your own`);
        }
      }
    } else if (type !== "tmpfs") refuse(`HostConfig.Mounts[${i}] has type "${type}"; only bind (under your directories), volume and tmpfs mounts are allowed`);
  }
}

/** `container:<ref>` modes share another container's namespace: only one's own. */
/** `container:<ref>` modes share another container's namespace: only one's own, pinned to its id. */
async function checkShared(hc: JsonObject, key: string, mode: string, what: string, caller: Caller, ports: CreatePorts): Promise<void> {
  const m = /^container:(.+)$/.exec(mode);
  if (!m) return;
  const target = await ports.containerOwner(m[1]!);
  if (!target) refuse(`${what} names container "${m[1]}", which does not exist`);
  if (target.owner !== caller.name) refuse(`${what} joins container "${m[1]}", which is not yours`);
  // Forwarded by id: a name checked here cannot resolve to someone else's container in dockerd.
  setField(hc, key, `container:${target.id}`);
}

const BUILTIN_NETWORKS = new Set(["", "default", "bridge", "none", "host"]);
const LOG_DRIVERS = new Set(["", "json-file", "local", "none"]);

const SAFE_SECURITY_OPTS = /^no-new-privileges([:=]true)?$/;
const RUNTIMES = new Set(["", "runc", "nvidia"]);

/**
 * Host ports below gate.min_host_port belong to the host's own services (ssh, a web server, DNS):
 * a container published there could stand in for one of them. An empty or 0 host port is Docker's
 * pick from its high range.
 */
function checkPortBindings(bindings: Json | undefined, min: number): void {
  if (bindings === undefined || bindings === null || min === 0) return;
  if (!isObject(bindings)) refuse("HostConfig.PortBindings must be a mapping");
  for (const [port, list] of Object.entries(bindings)) {
    if (list === null) continue;
    if (!Array.isArray(list)) refuse(`HostConfig.PortBindings["${port}"] must be a list`);
    for (const b of list) {
      if (!isObject(b)) refuse(`HostConfig.PortBindings["${port}"] must hold mappings`);
      const host = str(field(b, "HostPort"), `HostConfig.PortBindings["${port}"].HostPort`).trim();
      if (host === "") continue;
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(host);
      if (!m) refuse(`the host port "${host}" (for ${port}) cannot be read; publish with -p HOSTPORT:${port.split("/")[0]}`);
      const low = Number(m[1]);
      if (low === 0 && (m[2] === undefined || Number(m[2]) === 0)) continue;
      const inner = port.split("/")[0];
      const instead = low + 8000 >= min && low + 8000 <= 65535 ? low + 8000 : min; // 80 → 8080, 443 → 8443
      if (low < min) refuse(`-p ${host}:${inner}: host ports below ${min} are for the host's own services on this server (gate.min_host_port); publish on ${min} or above (-p ${instead}:${inner}), or with -p ${inner} for a free one`);
    }
  }
}

async function checkHostConfig(hc: JsonObject, caller: Caller, s: CreateSettings, ports: CreatePorts, toCreate: Set<string>): Promise<void> {
  if (boolOn(field(hc, "Privileged"), "HostConfig.Privileged")) refuse("privileged containers get root on the host; they are not allowed (ask an admin if you need a device or capability)");
  const allowedCaps = new Set(s.gate.allowed_capabilities.map(normaliseCapability));
  for (const c of list(field(hc, "CapAdd"), "HostConfig.CapAdd", true)) {
    const cap = normaliseCapability(c);
    if (!allowedCaps.has(cap)) refuse(`capability ${cap} is not allowed${allowedCaps.size ? ` (allowed: ${[...allowedCaps].join(", ")})` : ""}; leave out --cap-add`);
  }
  for (const [key, what] of [["PidMode", "--pid"], ["IpcMode", "--ipc"], ["UTSMode", "--uts"], ["UsernsMode", "--userns"], ["CgroupnsMode", "--cgroupns"]] as const) {
    const mode = str(field(hc, key), `HostConfig.${key}`);
    if (mode.trim().toLowerCase() === "host") refuse(`${what}=host shares the host's namespace; it is not allowed`);
    if (key === "PidMode" || key === "IpcMode") await checkShared(hc, key, mode, `${what}=${mode}`, caller, ports);
  }
  const net = str(field(hc, "NetworkMode"), "HostConfig.NetworkMode");
  if (net.trim().toLowerCase() === "host" && !s.gate.allow_host_network) refuse("--network=host is not allowed on this server; publish ports with -p instead");
  await checkShared(hc, "NetworkMode", net, `--network=${net}`, caller, ports);
  if (!net.startsWith("container:") && !BUILTIN_NETWORKS.has(net.trim().toLowerCase())) await checkNetwork(net, caller, ports);
  checkPortBindings(field(hc, "PortBindings"), s.gate.min_host_port);
  const lc = structField(hc, "LogConfig");
  if (lc === "bad") refuse("HostConfig.LogConfig must be a mapping");
  const driver = str(field(lc, "Type"), "HostConfig.LogConfig.Type");
  if (!LOG_DRIVERS.has(driver)) refuse(`log driver "${driver}" makes the engine (as root) send your logs elsewhere; only json-file, local and none are allowed`);
  const devices = field(hc, "Devices");
  if (Array.isArray(devices) ? devices.length > 0 : devices !== undefined && devices !== null) {
    refuse("host devices (--device) are not allowed; GPUs are requested with --gpus");
  }
  if (list(field(hc, "DeviceCgroupRules"), "HostConfig.DeviceCgroupRules").length > 0) refuse("--device-cgroup-rule is not allowed");
  for (const opt of list(field(hc, "SecurityOpt"), "HostConfig.SecurityOpt")) {
    if (!SAFE_SECURITY_OPTS.test(opt.trim())) refuse(`--security-opt ${opt} changes the container's confinement; only no-new-privileges is allowed`);
  }
  for (const key of ["MaskedPaths", "ReadonlyPaths"]) {
    if (field(hc, key) !== undefined && field(hc, key) !== null) refuse(`HostConfig.${key} unmasks host paths (--security-opt systempaths=unconfined); it is not allowed`);
  }
  if (str(field(hc, "CgroupParent"), "HostConfig.CgroupParent") !== "") refuse("--cgroup-parent is set by ds01 (your per-user limits); leave it out");
  const runtime = str(field(hc, "Runtime"), "HostConfig.Runtime");
  if (!RUNTIMES.has(runtime)) refuse(`runtime "${runtime}" is not allowed (runc or nvidia)`);
  const volumeDriver = str(field(hc, "VolumeDriver"), "HostConfig.VolumeDriver");
  if (volumeDriver !== "" && volumeDriver !== "local") refuse(`volume driver "${volumeDriver}" is not allowed; only local volumes`);
  const oomAdj = field(hc, "OomScoreAdj");
  if (typeof oomAdj === "number" && oomAdj < 0) refuse("a negative --oom-score-adj makes the kernel kill other users' processes first; it is not allowed");
  if (boolOn(field(hc, "OomKillDisable"), "HostConfig.OomKillDisable")) refuse("--oom-kill-disable can hang the host under memory pressure; it is not allowed");

  const volumesFrom: string[] = [];
  for (const entry of list(field(hc, "VolumesFrom"), "HostConfig.VolumesFrom")) {
    const colon = entry.indexOf(":");
    const ref = colon < 0 ? entry : entry.slice(0, colon);
    const target = await ports.containerOwner(ref);
    if (!target) refuse(`--volumes-from ${ref}: no such container`);
    if (target.owner !== caller.name) refuse(`--volumes-from ${ref}: that container is not yours`);
    volumesFrom.push(`${target.id}${colon < 0 ? "" : entry.slice(colon)}`);
  }
  if (volumesFrom.length) setField(hc, "VolumesFrom", volumesFrom);
  const links: string[] = [];
  for (const link of list(field(hc, "Links"), "HostConfig.Links")) {
    const [rawRef, alias] = link.split(":");
    const ref = rawRef!.replace(/^\//, "");
    const target = await ports.containerOwner(ref);
    if (!target) refuse(`--link ${ref}: no such container`);
    if (target.owner !== caller.name) refuse(`--link ${ref}: that container is not yours`);
    links.push(`${target.id}:${alias ?? ref}`);
  }
  if (links.length) setField(hc, "Links", links);

  let resolved: Promise<string[]> | null = null;
  const roots: Roots = () => (resolved ??= bindRoots(caller, s, ports));
  const binds = list(field(hc, "Binds"), "HostConfig.Binds");
  if (binds.length > 0) {
    const checked: string[] = [];
    for (const b of binds) checked.push(await checkBindsEntry(b, roots, caller, ports, toCreate));
    setField(hc, "Binds", checked);
  }
  await checkMounts(field(hc, "Mounts"), roots, caller, ports, toCreate);
  const hasBinds = binds.some((b) => b.startsWith("/")) || (Array.isArray(field(hc, "Mounts")) && (field(hc, "Mounts") as Json[]).some((m) => isObject(m) && String(field(m, "Type") ?? "").toLowerCase() === "bind"));
  const policy = structField(hc, "RestartPolicy");
  if (policy === "bad") refuse("HostConfig.RestartPolicy must be a mapping");
  const restart = str(field(policy, "Name"), "HostConfig.RestartPolicy.Name");
  if (hasBinds && restart !== "" && restart !== "no") {
    refuse(`--restart ${restart} with a bind mount: dockerd would restart the container without ds01 checking the mount again; leave out --restart, or use a named volume`);
  }
}

function checkLabels(body: JsonObject, caller: Caller, s: CreateSettings): JsonObject {
  const labels = field(body, "Labels");
  if (labels !== undefined && labels !== null && !isObject(labels)) refuse("Labels must be a mapping");
  const out: JsonObject = {};
  for (const [k, v] of Object.entries((labels as JsonObject | null) ?? {})) {
    if (typeof v !== "string") refuse(`label ${k} must have a string value`);
    const problem = labelProblem(k, v as string, caller, s);
    if (problem) refuse(problem);
    out[k] = v;
  }
  out[LABEL.user] = caller.name;
  out[LABEL.managed] = "true";
  return out;
}

/** The name a create asks for (`?name=`): infrastructure names are for admins. */
export function nameProblem(name: string | undefined, s: CreateSettings): string | null {
  if (!name) return null;
  const bare = name.replace(/^\//, "");
  const prefix = s.infrastructurePrefixes.find((p) => p !== "" && bare.startsWith(p));
  return prefix ? `the name "${bare}" starts with "${prefix}", which is kept for ds01's own infrastructure; choose another name` : null;
}

/** The image a create names, whose labels dockerd merges under the container's (null: none named). */
export function imageOf(body: JsonObject): string | null {
  const image = field(body, "Image");
  return typeof image === "string" && image !== "" ? image : null;
}

/**
 * dockerd merges the image's labels under the container's: a claim baked into an image
 * (docker commit --change 'LABEL ds01.protected=true') is blanked by an empty container label.
 * The last step of a create's admission, on the body admitCreate returned (with its GPU labels).
 */
export function blankImageClaims(body: JsonObject, imageLabels: Readonly<Record<string, string>>, caller: Caller, s: CreateSettings): void {
  const labels = (field(body, "Labels") ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(imageLabels)) {
    if (!(k in labels) && labelProblem(k, v, caller, s)) labels[k] = "";
  }
  setField(body, "Labels", labels);
}

/**
 * HostConfig's fields (its Resources' too), which dockerd also reads at the body's top level, from
 * an old API's form: there when HostConfig is null, and some of them copied into HostConfig where it
 * leaves them zero. Every check reads HostConfig, so the top-level form is refused.
 */
const HOST_CONFIG_FIELDS = new Set(
  [
    "Binds", "ContainerIDFile", "LogConfig", "NetworkMode", "PortBindings", "RestartPolicy", "AutoRemove", "VolumeDriver", "VolumesFrom", "CapAdd", "CapDrop", "CgroupnsMode",
    "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd", "IpcMode", "Cgroup", "Links", "OomScoreAdj", "PidMode", "Privileged", "PublishAllPorts", "ReadonlyRootfs",
    "SecurityOpt", "StorageOpt", "Tmpfs", "UTSMode", "UsernsMode", "ShmSize", "Sysctls", "Runtime", "ConsoleSize", "Isolation", "MaskedPaths", "ReadonlyPaths", "Init", "Mounts",
    "CpuShares", "Memory", "NanoCpus", "CgroupParent", "BlkioWeight", "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps",
    "CpuPeriod", "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus", "CpusetMems", "Devices", "DeviceCgroupRules", "DeviceRequests", "KernelMemory", "KernelMemoryTCP",
    "MemoryReservation", "MemorySwap", "MemorySwappiness", "OomKillDisable", "PidsLimit", "Ulimits", "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth", "Cpuset",
  ].map((k) => k.toLowerCase()),
);

/** The create's checks and rewrites, except the image's claims (blankImageClaims, once its labels are read). */
export async function admitCreate(raw: Json, name: string | undefined, caller: Caller, s: CreateSettings, ports: CreatePorts): Promise<CreateDecision> {
  try {
    if (!isObject(raw)) return refuse("the create body must be a JSON object");
    const keys = structKeyProblem(raw, "body");
    if (keys) refuse(keys);
    const np = nameProblem(name, s);
    if (np) refuse(np);
    const body = raw;
    for (const key of Object.keys(body)) {
      if (HOST_CONFIG_FIELDS.has(key.toLowerCase())) refuse(`${key} at the top of the create body is an old API's form, which dockerd still reads outside HostConfig; put it in HostConfig`);
    }
    // A null HostConfig would have dockerd read those top-level fields instead: it becomes an empty one.
    if (fieldKey(body, "HostConfig") !== undefined && field(body, "HostConfig") === null) setField(body, "HostConfig", {});
    setField(body, "Labels", checkLabels(body, caller, s));
    const nc = structField(body, "NetworkingConfig");
    if (nc === "bad") refuse("NetworkingConfig must be a mapping");
    const endpoints = field(nc, "EndpointsConfig");
    if (isObject(endpoints ?? null)) {
      for (const net of Object.keys(endpoints as JsonObject)) {
        if (net.trim().toLowerCase() === "host" && !s.gate.allow_host_network) refuse("the host network is not allowed on this server");
        if (!BUILTIN_NETWORKS.has(net.trim().toLowerCase())) await checkNetwork(net, caller, ports);
      }
    }
    const hc = structField(body, "HostConfig");
    if (hc === "bad") refuse("HostConfig must be a mapping");
    const toCreate = new Set<string>();
    if (hc) await checkHostConfig(hc, caller, s, ports, toCreate);
    for (const key of ["Volumes"]) {
      const v = field(body, key);
      if (v !== undefined && v !== null && !isObject(v)) refuse(`${key} must be a mapping`);
    }
    if (fieldKey(body, "HostConfig") === undefined) setField(body, "HostConfig", {});
    return { ok: true, body, volumesToCreate: [...toCreate] };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, reason: e.message };
    throw e;
  }
}
