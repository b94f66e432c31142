// The ONE container identity: owner, type, GPU set and infrastructure status. Every code path
// (idle, runtime, cleanup, allocation, metrics, status) calls `identify`; there is no second copy.
// The original DS01 had six owner chains and six type detectors that disagreed;
// these are the rules that replace all of them (also in docs/identity.md):
//
// GATE RECORD: a container a non-admin created through `ds01 gate` belongs to the uid the kernel
//   named when it was created (table gate_owners); its labels and name cannot make it immune.
//   Containers without a record (older than the gate, or made by root on the engine's own socket,
//   which only root can reach) follow the rules below.
//
// OWNER (first that yields a name wins; `ownerSource` records which):
//   1. label `ds01.user`                                 (non-empty)
//   2. label `aime.mlc.USER`                             (legacy mlc containers)
//   3. label `devcontainer.local_folder` = /home/<user>/… (the user must exist, when a lookup is given)
//   4. name `<name>._.<user>` — text after the LAST `._.`; a numeric suffix is a uid and is
//      resolved to a login name (uidToName); a name must exist when a lookup is given
//   5. "unknown"  (policies treat unknown owners with the strictest rules)
//   Deliberately NOT used: cgroup-parent slice names (sanitised, lossy), bind-mount owners, compose
//   working_dir, the uid of PID 1 — each was one component's private guess in the original.
//
// TYPE (first match wins):
//   1. infrastructure when `ds01.monitoring=true` or the name has a configured infrastructure prefix
//   2. label `ds01.container_type` when it names a known type (other than `unknown`);
//      `infrastructure` is only accepted from the label when the container is infrastructure
//      by the rules below (a label alone must not turn a user's container into infrastructure)
//   3. label `ds01.interface`: orchestration | atomic | api | docker | devcontainer | compose as
//      themselves, `vscode` → devcontainer (`unknown` and others: keep looking)
//   4. devcontainer: a `vsc-` name prefix, or any `devcontainer.*` label other than
//      `devcontainer.workspaceFolder` alone (the mlc path writes that one on every container)
//   5. compose: label `com.docker.compose.project`
//   6. atomic: `ds01.managed=true`, `aime.mlc.DS01_MANAGED=true`, or `._.` in the name
//   7. devcontainer: `devcontainer.workspaceFolder` on a container none of the above matched
//   8. docker
//
// GPUS: the union, in this order, without duplicates, of `ds01.gpu.uuid`, `ds01.gpu.uuids`
//   (comma list), `ds01.gpu_slot` values that are GPU/MIG UUIDs, every DeviceRequest DeviceID, and
//   UUIDs listed in NVIDIA_VISIBLE_DEVICES (the `--runtime=nvidia` route). Every GPU of a multi-GPU
//   container, not only the first. `hasGpu` is also true for a count/`all` GPU request and for
//   NVIDIA_VISIBLE_DEVICES set to anything but empty/`void`/`none` (e.g. `all`, `0,1`).
//
// INFRASTRUCTURE (never stopped, removed or killed): `ds01.monitoring=true`, the configured protected
//   label (default `ds01.protected`) = true, or a name starting with a configured prefix. The first
//   reason found is given.
import { LABEL, OWNER_NAME_SEPARATOR } from "../constants/labels.js";
import { CONTAINER_TYPES, type ContainerIdentity, type ContainerInfo, type ContainerType, type OwnerSource } from "../model/container.js";

export const DEFAULT_INFRASTRUCTURE_PREFIXES = [
  "ds01-prometheus",
  "ds01-grafana",
  "ds01-alertmanager",
  "ds01-dcgm-exporter",
  "ds01-node-exporter",
] as const;
export const DEFAULT_PROTECTED_LABEL = LABEL.protected;

export interface IdentityOptions {
  infrastructurePrefixes: readonly string[];
  protectedLabel: string;
  /** Does this login name exist on the host? Without it, derived names are accepted as they are. */
  userExists?: (name: string) => boolean;
  /** Login name of a uid (for `<name>._.<uid>`), or null. Without it, a numeric suffix is not an owner. */
  uidToName?: (uid: number) => string | null;
  /** The gate's record of who created a container (the kernel's word, not a label), or null. */
  gateRecord?: (containerId: string) => { user: string; admin: boolean } | null;
}

export const DEFAULT_IDENTITY_OPTIONS: IdentityOptions = {
  infrastructurePrefixes: DEFAULT_INFRASTRUCTURE_PREFIXES,
  protectedLabel: DEFAULT_PROTECTED_LABEL,
};

const TRUE_VALUES = new Set(["true", "1", "yes", "on"]);
export function isTrueLabel(v: string | undefined): boolean {
  return v !== undefined && TRUE_VALUES.has(v.trim().toLowerCase());
}

const USER_NAME = /^[a-z_][a-z0-9_.@-]*\$?$/i;
const GPU_UUID = /^(GPU|MIG)-[0-9A-Za-z][0-9A-Za-z/-]*$/;

export function isGpuUuid(s: string): boolean {
  return GPU_UUID.test(s);
}

function label(info: Pick<ContainerInfo, "labels">, key: string): string | undefined {
  const v = info.labels[key];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

export function resolveOwner(info: Pick<ContainerInfo, "labels" | "name">, opts: IdentityOptions): { owner: string; ownerSource: OwnerSource } {
  const direct = label(info, LABEL.user);
  if (direct) return { owner: direct, ownerSource: "ds01.user" };
  const legacy = label(info, LABEL.legacyUser);
  if (legacy) return { owner: legacy, ownerSource: "aime.mlc.USER" };
  const exists = (n: string) => USER_NAME.test(n) && (opts.userExists ? opts.userExists(n) : true);
  const folder = label(info, LABEL.devcontainerLocalFolder);
  const home = folder ? /^\/home\/([^/]+)(?:\/|$)/.exec(folder) : null;
  if (home && exists(home[1]!)) return { owner: home[1]!, ownerSource: "devcontainer.local_folder" };
  const at = info.name.lastIndexOf(OWNER_NAME_SEPARATOR);
  if (at >= 0) {
    const suffix = info.name.slice(at + OWNER_NAME_SEPARATOR.length);
    if (/^\d+$/.test(suffix)) {
      const name = opts.uidToName?.(Number(suffix)) ?? null;
      if (name) return { owner: name, ownerSource: "name" };
    } else if (suffix && exists(suffix)) {
      return { owner: suffix, ownerSource: "name" };
    }
  }
  return { owner: "unknown", ownerSource: "unknown" };
}

/**
 * The infrastructure prefix a container's name starts with, or undefined. A name alone does not make
 * a user's container immune: when ownership names a user other than root, the prefix does not count
 * (anyone can pick a name; only the labels, which ds01 create never lets a user set, say more).
 */
function infrastructurePrefix(info: ContainerInfo, opts: IdentityOptions, owner: string): string | undefined {
  if (owner !== "unknown" && owner !== "root") return undefined;
  return opts.infrastructurePrefixes.find((p) => p !== "" && info.name.startsWith(p));
}

export function infrastructureReason(info: ContainerInfo, opts: IdentityOptions, owner = resolveOwner(info, opts).owner): string | null {
  if (isTrueLabel(info.labels[LABEL.monitoring])) return `label ${LABEL.monitoring}=true`;
  if (isTrueLabel(info.labels[opts.protectedLabel])) return `label ${opts.protectedLabel}=true`;
  const prefix = infrastructurePrefix(info, opts, owner);
  if (prefix !== undefined) return `name prefix ${prefix}`;
  return null;
}

const INTERFACE_TYPES: Readonly<Record<string, ContainerType>> = {
  orchestration: "orchestration",
  atomic: "atomic",
  api: "api",
  docker: "docker",
  devcontainer: "devcontainer",
  compose: "compose",
  vscode: "devcontainer",
};

export function detectType(info: ContainerInfo, opts: IdentityOptions, infrastructure: boolean, owner = resolveOwner(info, opts).owner): ContainerType {
  const labels = info.labels;
  const monitoring = isTrueLabel(labels[LABEL.monitoring]);
  const prefixed = infrastructurePrefix(info, opts, owner) !== undefined;
  if (monitoring || prefixed) return "infrastructure";
  const declared = label(info, LABEL.containerType)?.toLowerCase();
  if (declared && declared !== "unknown" && (CONTAINER_TYPES as readonly string[]).includes(declared)) {
    if (declared !== "infrastructure" || infrastructure) return declared as ContainerType;
  }
  const iface = label(info, LABEL.interface)?.toLowerCase();
  if (iface && INTERFACE_TYPES[iface]) return INTERFACE_TYPES[iface];
  const devKeys = Object.keys(labels).filter((k) => k.startsWith("devcontainer."));
  if (info.name.startsWith("vsc-") || devKeys.some((k) => k !== "devcontainer.workspaceFolder")) return "devcontainer";
  if (label(info, LABEL.composeProject)) return "compose";
  if (isTrueLabel(labels[LABEL.managed]) || isTrueLabel(labels[LABEL.legacyManaged]) || info.name.includes(OWNER_NAME_SEPARATOR)) return "atomic";
  if (devKeys.length > 0) return "devcontainer"; // devcontainer.workspaceFolder on an unmanaged container
  return "docker";
}

function splitList(v: string | undefined): string[] {
  return (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

const NO_DEVICES = new Set(["", "void", "none"]);

export function containerGpus(info: ContainerInfo): { gpus: string[]; hasGpu: boolean } {
  const out: string[] = [];
  const add = (id: string) => {
    if (!out.includes(id)) out.push(id);
  };
  splitList(info.labels[LABEL.gpuUuid]).forEach(add);
  splitList(info.labels[LABEL.gpuUuids]).forEach(add);
  splitList(info.labels[LABEL.gpuSlot]).filter(isGpuUuid).forEach(add);
  info.deviceRequestGpuIds.forEach(add);
  const nvd = info.nvidiaVisibleDevices;
  splitList(nvd ?? "").filter(isGpuUuid).forEach(add);
  const envGpu = nvd !== null && !NO_DEVICES.has(nvd.trim().toLowerCase());
  return { gpus: out, hasGpu: out.length > 0 || info.requestsGpu || envGpu };
}

/** Labels that claim immunity or infrastructure: a non-admin's own word, so not taken from them. */
function withoutImmunityClaims(labels: Readonly<Record<string, string>>, opts: IdentityOptions): Record<string, string> {
  const out = { ...labels };
  delete out[LABEL.monitoring];
  delete out[opts.protectedLabel];
  delete out[LABEL.protected];
  if (out[LABEL.containerType]?.trim().toLowerCase() === "infrastructure") delete out[LABEL.containerType];
  return out;
}

/** Owner, type, GPUs and infrastructure status of one container (pure). */
export function identify(info: ContainerInfo, opts: IdentityOptions = DEFAULT_IDENTITY_OPTIONS): ContainerIdentity {
  const rec = opts.gateRecord?.(info.id) ?? null;
  if (rec && !rec.admin) {
    // Created through the gate by a non-admin: the owner is who connected, and nothing the creator
    // wrote (labels, a name) makes the container immune.
    const plain = identify({ ...info, labels: withoutImmunityClaims(info.labels, opts) }, { ...opts, gateRecord: undefined, infrastructurePrefixes: [] });
    return { ...plain, owner: rec.user, ownerSource: "gate", infrastructure: false, infrastructureReason: null };
  }
  const { owner, ownerSource } = resolveOwner(info, opts);
  const reason = infrastructureReason(info, opts, owner);
  const { gpus, hasGpu } = containerGpus(info);
  return {
    owner,
    ownerSource,
    type: detectType(info, opts, reason !== null, owner),
    gpus,
    hasGpu,
    infrastructure: reason !== null,
    infrastructureReason: reason,
  };
}
