// What the gate does with one request from a non-admin: refuse it (with why and what to do
// instead), answer it itself, or forward it — possibly to a rewritten target (a container's full
// id, so a name reused in between cannot redirect it) with a rewritten body, a response filter, and
// a hook that records what was created.
import { LABEL } from "../constants/labels.js";
import { resolveOwner, type IdentityOptions } from "../docker/identity.js";
import { admitCreate, bindsChangedProblem, blankImageClaims, imageOf, nameProblem, type Caller, type CreatePorts, type CreateSettings } from "./create-admission.js";
import { imageJson, inspectContainer, type ContainerFacts, type GateEngine } from "./engine.js";
import { field, isObject, setField, structKeyProblem, type Json, type JsonObject } from "../docker/json-fields.js";
import type { ObjectKind, OwnedKind, OwnershipStore } from "./ownership.js";
import { claimTags, outputNames, pullProblem, tagTarget, type TagTarget } from "./image-tags.js";
import type { Route } from "./routes.js";
import type { Slot } from "../allocation/slots.js";
import type { AuditEvent } from "../model/audit-event.js";
import { applyLimits } from "../allocation/container-limits.js";
import type { ResolvedLimits } from "../model/policy.js";
import { gpuAskOf, withSlots, withoutGpus, takeGpuDevices, type GpuAsk } from "./gpu-admission.js";
import { admitCgroupParent, capsFor, prepareForStart, type CgroupAdmission } from "../cgroups/admission.js";
import { queryValue, withObjectId, withQuery, withQueryValue, type Target } from "./target.js";
import { buildLimits } from "./build-limits.js";
import type { ArchiveCheck } from "./checked-archive.js";
import { loadCheck } from "./image-load.js";
import { buildArgsOf, buildContextCheck, dockerfilePaths, platformArgs } from "./build-context.js";

export interface Created {
  kind: ObjectKind;
  id: string;
  name: string;
}

export type Decision =
  /** `events`: audit events of a grant made before the refusal (recorded with it). */
  | { action: "refuse"; reason: string; events?: AuditEvent[] }
  | { action: "respond"; status: number; message: string }
  | {
      action: "forward";
      /** Replacement request target, or undefined to forward it as written. */
      target?: string;
      /** Replacement body (JSON), or undefined to stream the client's body. */
      body?: Buffer;
      /** Only the caller's rows of a listing / the caller's events. */
      filter?: "list" | "events" | "networks" | "disk-usage";
      /** Parses a successful answer into what was created, to be recorded as the caller's. */
      created?: (status: number, body: Buffer) => Created | null;
      /** What a successful answer removed. */
      removed?: { kind: ObjectKind; id: string };
      /** For the audit record of a create. */
      audit?: Record<string, unknown>;
      /**
       * The decision's own audit events (a GPU grant), recorded with the create's owner record or,
       * when nothing was created, on their own before the answer leaves: never after a caller saw it.
       */
      events?: AuditEvent[];
      /**
       * A stream that holds its container's lock in dockerd (copy, export): cut off once it has
       * waited this long on its client (not reading, not sending). Absent: never.
       */
      stallMs?: number;
      /** With `stallMs`: the least the client must move per second of waiting on it (0: no least rate). */
      stallMinBytesPerS?: number;
      /**
       * An upload whose archive the gate reads as it passes (checked-archive.ts): a load's tags are
       * claimed for the caller before the bytes that set them reach dockerd.
       */
      archive?: ArchiveCheck;
      /** Called once with dockerd's answer (status 502, body null when it could not be reached). */
      after?: (status: number, body: Buffer | null) => void | Promise<void>;
    };

export interface DecideSettings extends CreateSettings {
  identity: IdentityOptions;
}

/** How many GPU slots, or exactly which devices (GPU indexes, "gpu:mig", UUIDs). */
export interface GpuWant {
  count: number;
  pinned?: string[];
}

/**
 * A reservation for a gated create, or why not: `busy` = fits the quota, but every suitable slot is
 * taken now. `events`: the grant's audit events, not yet recorded: they go into the create's own
 * commit (its owner record's), so the create pays one fsync, not two.
 */
export type GpuReserve = { ok: true; requestId: string; slots: Slot[]; events?: AuditEvent[] } | { ok: false; reason: string; unavailable?: boolean; busy?: boolean };

/** The allocator, as the gate uses it (absent: GPU requests are refused). */
export interface GateGpus {
  /** The caller's per-container slot cap (what `--gpus all` means), null = none. */
  capFor(user: string): number | null;
  /** `signal`: the client went away (a request waiting for a slot leaves the queue). */
  reserve(user: string, container: string, want: GpuWant, signal?: AbortSignal): Promise<GpuReserve>;
  /** false: the reservation was lost meanwhile. */
  confirm(requestId: string, containerId: string): Promise<boolean>;
  release(requestId: string): Promise<void>;
  /** Docker removed this container: what was reserved for it is free. */
  removed?(containerId: string): Promise<void>;
  /** Who holds the slots this request could use, and the planner's next step for them ("" = none). */
  holders?(user: string, container: string, want: GpuWant): Promise<string>;
  /** The next create reads the GPU inventory afresh (an admin changed the MIG layout). */
  rereadGpus?(): void;
}

export interface DecideContext {
  gpus?: GateGpus;
  /** The caller's resolved limits (cpus, memory, swap, shm, pids, containers), applied at create. */
  limitsFor?: (user: string) => ResolvedLimits;
  hostCpus?: number;
  /** Per-user aggregate limits: the caller's cgroup parent, prepared before the create is forwarded. */
  cgroups?: CgroupAdmission;
  engine: GateEngine;
  owners: OwnershipStore;
  settings: DecideSettings;
  realpath(path: string): Promise<string>;
  /** Aborts when the client's connection closes. */
  signal?: AbortSignal;
  /** An image's labels ({} when none), kept between creates while they cannot have changed; absent: read each time. */
  imageLabels?(ref: string): Promise<Readonly<Record<string, string>>>;
  /** This user's creates that passed the count but dockerd has not answered yet (waiting for a GPU, say). */
  createsInFlight?(user: string): number;
  /** Ids of containers dockerd created for this user lately (a listing may not show them yet). */
  recentCreates?(user: string): readonly string[];
  /** The create passed the count: it is now in flight, and the user's next create may be decided. */
  admitted?(): void;
}

/** Reads the request body (JSON), at most `limit` bytes; null when there is none. */
export type BodyReader = () => Promise<Buffer>;

const refuse = (reason: string): Decision => ({ action: "refuse", reason });

export function containerOwnerOf(facts: ContainerFacts, ctx: Pick<DecideContext, "owners" | "settings">): string {
  const rec = ctx.owners.get("container", facts.id);
  return rec ? rec.user : resolveOwner(facts, ctx.settings.identity).owner;
}

function labelOwner(kind: OwnedKind, id: string, labels: unknown, ctx: DecideContext): string {
  const rec = ctx.owners.get(kind, id);
  if (rec) return rec.user;
  const l = (isObject(labels as Json) ? labels : {}) as Record<string, string>;
  return typeof l[LABEL.user] === "string" ? l[LABEL.user]! : "";
}

function parseJsonBody(buf: Buffer, what: string): JsonObject | string {
  if (buf.length === 0) return {};
  try {
    const v = JSON.parse(buf.toString("utf8")) as Json;
    if (!isObject(v)) return `the ${what} body must be a JSON object`;
    return v;
  } catch (e) {
    return `the ${what} body is not valid JSON (${(e as Error).message})`;
  }
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** The body as a JSON object whose field names dockerd will read as the gate did, or why not. */
async function readStruct(readBody: BodyReader, what: string): Promise<JsonObject | string> {
  const body = parseJsonBody(await readBody(), what);
  if (typeof body === "string") return body;
  return structKeyProblem(body, "body") ?? body;
}

function idFrom(body: Buffer, key: string): string | null {
  try {
    const v = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    return typeof v[key] === "string" ? (v[key] as string) : null;
  } catch {
    return null;
  }
}

function ports(ctx: DecideContext): CreatePorts {
  return {
    realpath: ctx.realpath,
    containerOwner: async (ref) => {
      const f = await inspectContainer(ctx.engine, ref);
      return f ? { id: f.id, owner: containerOwnerOf(f, ctx) } : null;
    },
    volumeOwner: async (name) => {
      const v = await ctx.engine.getJson(`/volumes/${encodeURIComponent(name)}`);
      return v ? labelOwner("volume", name, v.Labels, ctx) : null;
    },
    networkOwner: async (ref) => {
      const n = await ctx.engine.getJson(`/networks/${encodeURIComponent(ref)}`);
      return n ? { name: String(n.Name ?? ""), owner: labelOwner("network", String(n.Id), n.Labels, ctx) } : null;
    },
    imageLabels: async (image) => {
      if (ctx.imageLabels) return ctx.imageLabels(image);
      const i = await imageJson(ctx.engine, image).catch(() => null);
      const labels = (i?.Config as { Labels?: Record<string, string> | null } | undefined)?.Labels;
      return labels ?? {};
    },
  };
}

/** The caller's own container by reference: its facts, or a decision that ends the request. */
async function ownContainer(ref: string, caller: Caller, ctx: DecideContext): Promise<ContainerFacts | Decision> {
  const facts = await inspectContainer(ctx.engine, ref);
  if (!facts) return { action: "respond", status: 404, message: `No such container: ${ref}` };
  const owner = containerOwnerOf(facts, ctx);
  if (owner !== caller.name) return refuse(`container ${facts.name || ref} is not your container (its owner is ${owner}); you can only act on your own containers`);
  return facts;
}


async function decideCreate(target: Target, caller: Caller, ctx: DecideContext, readBody: BodyReader): Promise<Decision> {
  const parsed = parseJsonBody(await readBody(), "create");
  if (typeof parsed === "string") return refuse(parsed);
  const name = queryValue(target, "name");
  // `--device /dev/nvidia0` is a GPU request: out of Devices (which the create check refuses), into the allocation.
  const gpuDevices = takeGpuDevices(parsed);
  const p = ports(ctx);
  const image = imageOf(parsed);
  const squat = image === null ? null : othersTag(image, caller, ctx);
  if (squat) return refuse(squat);
  // The image's labels are read while the rest of admission runs (one engine round trip off the path).
  const imageLabels = image === null ? Promise.resolve({}) : p.imageLabels(image);
  const d = await admitCreate(parsed, name, caller, ctx.settings, p);
  if (!d.ok) return refuse(d.reason);
  const caps = capsFor(ctx.cgroups, caller.name);
  if (!caps.ok) return refuse(caps.reason);
  const limited = await admitLimits(d.body, caller, ctx, caps.caps?.cpuCores ?? null);
  if (limited) return refuse(limited);
  ctx.admitted?.();
  const parent = await admitCgroupParent(field(d.body, "HostConfig") as JsonObject, caller.name, ctx.cgroups);
  if (!parent.ok) return refuse(parent.reason);
  const gpu = await admitGpus(d.body, name, caller, ctx, gpuDevices);
  if (!gpu.ok) return gpu.unavailable ? { action: "respond", status: 503, message: `ds01: ${gpu.reason}` } : refuse(gpu.reason);
  blankImageClaims(d.body, await imageLabels, caller, ctx.settings);
  for (const v of d.volumesToCreate) {
    const r = await ctx.engine.call("POST", "/volumes/create", { Name: v, Labels: { [LABEL.user]: caller.name } });
    if (r.status !== 201 && r.status !== 200) return { ...refuse(`volume "${v}" could not be created for you (engine said ${r.status})`), ...(gpu.events ? { events: gpu.events } : {}) };
    ctx.owners.put({ kind: "volume", id: v, uid: caller.uid, user: caller.name, admin: false, createdAt: Date.now() });
  }
  return {
    action: "forward",
    body: json(d.body),
    created: (status, body) => {
      const id = status === 201 ? idFrom(body, "Id") : null;
      return id ? { kind: "container", id, name: name ?? "" } : null;
    },
    audit: { image: field(d.body, "Image") ?? null, name: name ?? null, volumes_created: d.volumesToCreate, gpus: gpu.uuids, cgroup_parent: parent.parent },
    ...(gpu.events ? { events: gpu.events } : {}),
    after: async (status, body) => {
      const requestId = gpu.requestId;
      if (!requestId) return;
      const id = status === 201 && body ? idFrom(body, "Id") : null;
      if (!id || !(await ctx.gpus!.confirm(requestId, id))) await ctx.gpus!.release(requestId);
    },
  };
}

/** The caller's limits on the create (filled in or refused), and their container count; null = fine. */
async function admitLimits(body: JsonObject, caller: Caller, ctx: DecideContext, aggregateCpus: number | null): Promise<string | null> {
  if (!ctx.limitsFor) return null;
  const limits = ctx.limitsFor(caller.name);
  const applied = applyLimits(field(body, "HostConfig") as JsonObject, limits, ctx.hostCpus ?? Number.POSITIVE_INFINITY, aggregateCpus);
  if (!applied.ok) return applied.reason;
  if (limits.max_containers_per_user !== null) {
    const r = await ctx.engine.call("GET", "/containers/json?all=1");
    const rows = r.status === 200 ? (JSON.parse(r.body.toString("utf8")) as { Id: string; Names?: string[]; Labels?: Record<string, string> | null }[]) : null;
    if (!rows) return "your containers could not be counted (the engine did not list them); try again";
    const listedIds = rows.filter((c) => containerOwnerOf({ id: c.Id, name: (c.Names?.[0] ?? "").replace(/^\//, ""), labels: c.Labels ?? {} }, ctx) === caller.name).map((c) => c.Id);
    const listed = new Set([...listedIds, ...(ctx.recentCreates?.(caller.name) ?? [])]).size;
    const inFlight = ctx.createsInFlight?.(caller.name) ?? 0;
    const mine = listed + inFlight;
    if (mine >= limits.max_containers_per_user) {
      return `you have ${mine} containers${inFlight > 0 ? ` (${inFlight} of them being created)` : ""} and may have ${limits.max_containers_per_user} (max_containers_per_user); remove one you no longer need (docker ps -a, docker rm)`;
    }
  }
  return null;
}

/** Allocates what the create asks for and rewrites it; or says why not. */
async function admitGpus(
  body: JsonObject,
  name: string | undefined,
  caller: Caller,
  ctx: DecideContext,
  devices: GpuAsk,
): Promise<{ ok: true; requestId: string | null; uuids: string[]; events?: AuditEvent[] } | { ok: false; reason: string; unavailable?: boolean }> {
  const ask = gpuAskOf(body, ctx.gpus?.capFor(caller.name) ?? null, ctx.settings.gate.gpus_all, devices);
  if (ask.kind === "refuse") return { ok: false, reason: ask.reason };
  if (ask.kind === "none") {
    withoutGpus(body);
    return { ok: true, requestId: null, uuids: [] };
  }
  if (!ctx.gpus) return { ok: false, reason: "GPU allocation is not available on this gate" };
  const container = name?.replace(/^\//, "") || `gate-${caller.name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const want: GpuWant = ask.kind === "pinned" ? { count: ask.ids.length, pinned: ask.ids } : { count: ask.count };
  const r = await ctx.gpus.reserve(caller.name, container, want, ctx.signal);
  if (!r.ok) {
    const about = ask.kind === "pinned" ? ` (${ask.how})` : ask.all ? ` (--gpus all means your per-container cap, ${ask.count})` : "";
    return { ok: false, unavailable: r.unavailable, reason: `${r.reason}${about}` };
  }
  withSlots(body, r.slots, Date.now());
  return { ok: true, requestId: r.requestId, uuids: r.slots.map((s) => s.uuid), ...(r.events ? { events: r.events } : {}) };
}

const UPDATE_FORBIDDEN = ["CgroupParent", "Devices", "DeviceRequests", "DeviceCgroupRules"];

async function decideContainer(route: Extract<Route, { kind: "container" }>, target: Target, caller: Caller, ctx: DecideContext, readBody: BodyReader): Promise<Decision> {
  const facts = await ownContainer(route.ref, caller, ctx);
  if ("action" in facts) return facts;
  const forward: Extract<Decision, { action: "forward" }> = { action: "forward", target: withObjectId(target, facts.id) };
  // A copy or an export locks the container in dockerd for as long as it runs (stall-watch.ts).
  const stall = ctx.settings.gate.stall_timeout_s;
  if ((route.op === "archive" || route.op === "export") && stall > 0) {
    forward.stallMs = stall * 1000;
    forward.stallMinBytesPerS = ctx.settings.gate.stall_min_rate_kib_s * 1024;
  }
  if (route.op === "rename") {
    const p = nameProblem(queryValue(target, "name"), ctx.settings);
    if (p) return refuse(p);
  }
  if (route.op === "update") {
    const body = await readStruct(readBody, "update");
    if (typeof body === "string") return refuse(body);
    // The docker CLI sends "CgroupParent": "" on every update: empty is no change.
    const bad = UPDATE_FORBIDDEN.find((k) => {
      const v = field(body, k);
      return v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0);
    });
    if (bad) return refuse(`docker update may not change ${bad}`);
    const restart = field(body, "RestartPolicy");
    const restartName = isObject(restart ?? null) ? field(restart as JsonObject, "Name") : undefined;
    if (typeof restartName === "string" && restartName !== "" && restartName !== "no") {
      if ((facts.bindSources ?? []).length > 0) {
        return refuse(`--restart ${restartName} on a container with a bind mount: dockerd would restart it without ds01 checking the mount again`);
      }
    }
    const lifted = updateLiftsLimits(body, caller, ctx);
    if (lifted) return refuse(lifted);
    forward.body = json(body);
  }
  if (route.op === "start" || route.op === "restart") {
    const problem = await bindsChangedProblem(facts.bindSources ?? [], caller, ctx.settings, ports(ctx));
    if (problem) return refuse(problem);
    // dockerd makes a missing parent itself, without limits: a parent removed while the container
    // was stopped is prepared again first.
    const parent = facts.cgroupParent ? await prepareForStart(caller.name, ctx.cgroups) : null;
    if (parent) return refuse(parent);
  }
  if (route.op === "remove") forward.removed = { kind: "container", id: facts.id };
  return forward;
}

/** docker update may change resources only within the owner's limits (0 and -1 mean unlimited). */
function updateLiftsLimits(body: JsonObject, caller: Caller, ctx: DecideContext): string | null {
  if (!ctx.limitsFor) return null;
  const limits = ctx.limitsFor(caller.name);
  const pids = field(body, "PidsLimit");
  if (typeof pids === "number" && pids <= 0 && limits.pids_limit !== null) return `docker update --pids-limit ${pids} lifts your limit of ${limits.pids_limit} (pids_limit)`;
  const swap = field(body, "MemorySwap");
  if (swap === -1 && limits.memory_swap !== null) return `docker update --memory-swap -1 lifts your limit of ${limits.memory_swap} (memory_swap)`;
  const asked: JsonObject = {};
  for (const k of ["Memory", "MemorySwap", "NanoCpus", "CpuQuota", "CpuPeriod", "PidsLimit"]) {
    const v = field(body, k);
    if (typeof v === "number" && v > 0) asked[k] = v;
  }
  const caps = capsFor(ctx.cgroups, caller.name);
  const r = applyLimits(asked, limits, ctx.hostCpus ?? Number.POSITIVE_INFINITY, caps.ok ? (caps.caps?.cpuCores ?? null) : null);
  return r.ok ? null : `docker update: ${r.reason}`;
}

async function decideExecCreate(ref: string, target: Target, caller: Caller, ctx: DecideContext, readBody: BodyReader): Promise<Decision> {
  const facts = await ownContainer(ref, caller, ctx);
  if ("action" in facts) return facts;
  const body = await readStruct(readBody, "exec");
  if (typeof body === "string") return refuse(body);
  const priv = field(body, "Privileged");
  if (priv !== undefined && priv !== null && priv !== false) return refuse("docker exec --privileged gives root on the host; it is not allowed");
  return { action: "forward", target: withObjectId(target, facts.id), body: json(body) };
}

async function decideExec(execId: string, caller: Caller, ctx: DecideContext): Promise<Decision> {
  const ex = await ctx.engine.getJson(`/exec/${encodeURIComponent(execId)}/json`);
  if (!ex) return { action: "respond", status: 404, message: `No such exec instance: ${execId}` };
  const facts = await ownContainer(String(ex.ContainerID ?? ""), caller, ctx);
  if ("action" in facts) return facts;
  return { action: "forward" };
}

/** Why BuildKit is refused where gate.allow_buildkit is off. */
const BUILDKIT_OFF =
  "BuildKit builds run their steps outside your limits, and the gate cannot check what a build session sends, so they are off on this server (gate.allow_buildkit); build with the classic builder: DOCKER_BUILDKIT=0 docker build …";

async function decideBuild(target: Target, caller: Caller, ctx: DecideContext): Promise<Decision> {
  if (queryValue(target, "version") === "2" && !ctx.settings.gate.allow_buildkit) return refuse(BUILDKIT_OFF);
  const raw = (queryValue(target, "networkmode") ?? "").trim();
  const net = raw.toLowerCase();
  if (net === "host" && !ctx.settings.gate.allow_host_network) return refuse("docker build --network=host is not allowed on this server");
  if ((queryValue(target, "cgroupparent") ?? "") !== "") return refuse("docker build --cgroup-parent is set by ds01 (your per-user limits); leave it out");
  if ((queryValue(target, "remote") ?? "") !== "") return refuse("docker build from a URL or git remote makes the engine fetch it as root; fetch it yourself and build from the directory");
  const limited = await buildLimits({ target, user: caller.name, limits: ctx.limitsFor?.(caller.name) ?? null, hostCpus: ctx.hostCpus ?? Number.POSITIVE_INFINITY, cgroups: ctx.cgroups });
  if (!limited.ok) return refuse(limited.reason);
  const set = limited.set;
  if (net.startsWith("container:")) {
    const facts = await ownContainer(raw.slice("container:".length), caller, ctx);
    if ("action" in facts) return facts;
    set.networkmode = `container:${facts.id}`;
  } else if (raw !== "" && !["default", "bridge", "none", "host"].includes(net)) {
    const n = await ownNetwork(raw, caller, ctx);
    if (typeof n === "object") return n;
    set.networkmode = n;
  }
  return Object.keys(set).length > 0 ? { action: "forward", target: withQuery(target, set) } : { action: "forward" };
}

/**
 * A create from a tag another user made here (not pulled): whoever claimed a name first (say
 * `ubuntu:24.04`, before anyone pulled it) would have their code run as the caller, with the
 * caller's mounts. Refused with the way to run it on purpose (its id).
 */
function othersTag(image: string, caller: Caller, ctx: DecideContext): string | null {
  const t = tagMadeByOther(image, caller, ctx);
  if (!t) return null;
  return `the image ${t.shown} was made on this server by ${t.user}, not pulled from its registry; running it would run their code as you. If you trust it, run it by its id (docker image inspect ${t.shown} --format '{{.Id}}'); otherwise pull it under a name of your own`;
}

/** The tag this image name is, when another user made it here (a build's base is checked the same way). */
function tagMadeByOther(image: string, caller: Caller, ctx: DecideContext): { shown: string; user: string } | null {
  const t = tagTarget(image);
  const rec = t ? ctx.owners.get("tag", t.key) : null;
  return t && rec && rec.user !== caller.name ? { shown: t.shown, user: rec.user } : null;
}

/** The tag `repo` and `tag` name (tag, commit, import); none when no repo is given. */
function repoTag(target: Target): (TagTarget | null)[] {
  const repo = queryValue(target, "repo");
  return repo ? [tagTarget(repo, queryValue(target, "tag"))] : [];
}

/** The tags a request points, claimed for the caller (see image-tags.ts): null, or the refusal. */
async function claim(tags: readonly (TagTarget | null)[], caller: Caller, ctx: DecideContext): Promise<Decision | null> {
  if (tags.some((t) => t === null)) return refuse("an image tag must be NAME or NAME:TAG (not a digest)");
  const problem = await claimTags(tags as TagTarget[], caller, {
    owners: ctx.owners,
    exists: async (ref) => (await imageJson(ctx.engine, ref)) !== null,
  });
  return problem ? refuse(problem) : null;
}

/** A user-defined network the caller owns (or the shared bridge): its id, or a refusal. */
export async function ownNetwork(ref: string, caller: Caller, ctx: DecideContext): Promise<string | Decision> {
  const n = await ctx.engine.getJson(`/networks/${encodeURIComponent(ref)}`);
  if (!n) return { action: "respond", status: 404, message: `network ${ref} not found` };
  const name = String(n.Name ?? "");
  if (SHARED_NETWORKS.has(name)) return String(n.Id);
  const owner = labelOwner("network", String(n.Id), n.Labels, ctx);
  if (owner !== caller.name) return refuse(`network ${name || ref} is not yours (${owner ? `its owner is ${owner}` : "it has no owner on record"}); use a network of your own`);
  return String(n.Id);
}

/** Labels a volume or network with its creator; a label naming someone else is refused. */
function stampOwner(body: JsonObject, caller: Caller): string | null {
  const labels = field(body, "Labels");
  const own: JsonObject = { ...(isObject(labels ?? null) ? (labels as JsonObject) : {}) };
  if (typeof own[LABEL.user] === "string" && own[LABEL.user] !== caller.name) return `label ${LABEL.user} names another owner; leave it out`;
  own[LABEL.user] = caller.name;
  setField(body, "Labels", own);
  return null;
}

async function decideVolumeCreate(caller: Caller, readBody: BodyReader): Promise<Decision> {
  const body = await readStruct(readBody, "volume create");
  if (typeof body === "string") return refuse(body);
  const driver = field(body, "Driver");
  if (driver !== undefined && driver !== null && driver !== "" && driver !== "local") return refuse(`volume driver "${String(driver)}" is not allowed; only local volumes`);
  const opts = field(body, "DriverOpts");
  if (isObject(opts ?? null) && Object.keys(opts as JsonObject).length > 0) {
    return refuse("volume driver options (type/o/device) mount a host path or device into the volume; only an admin can create such a volume");
  }
  const stamped = stampOwner(body, caller);
  if (stamped) return refuse(stamped);
  return {
    action: "forward",
    body: json(body),
    created: (status, b) => {
      const id = status === 201 || status === 200 ? idFrom(b, "Name") : null;
      return id ? { kind: "volume", id, name: id } : null;
    },
  };
}

async function decideVolumeRemove(name: string, caller: Caller, ctx: DecideContext): Promise<Decision> {
  const v = await ctx.engine.getJson(`/volumes/${encodeURIComponent(name)}`);
  if (!v) return { action: "respond", status: 404, message: `get ${name}: no such volume` };
  const owner = labelOwner("volume", name, v.Labels, ctx);
  if (owner !== caller.name) return refuse(`volume ${name} is not yours (${owner ? `its owner is ${owner}` : "it has no owner on record"}); ask its owner or an admin`);
  return { action: "forward", removed: { kind: "volume", id: name } };
}

async function decideNetworkCreate(caller: Caller, readBody: BodyReader): Promise<Decision> {
  const body = await readStruct(readBody, "network create");
  if (typeof body === "string") return refuse(body);
  const driver = field(body, "Driver");
  if (driver !== undefined && driver !== null && driver !== "" && driver !== "bridge") return refuse(`network driver "${String(driver)}" is not allowed; only bridge networks`);
  const opts = field(body, "Options");
  if (isObject(opts ?? null) && Object.keys(opts as JsonObject).length > 0) return refuse("network driver options are for admins (they can attach to host interfaces)");
  if (ipamChosen(field(body, "IPAM"))) return refuse("choosing a network's subnet, gateway or IP ranges (IPAM) is for admins: a subnet can take over the host's routes; leave it to Docker");
  for (const k of ["ConfigFrom", "ConfigOnly", "Ingress", "Scope", "EnableIPv6"]) {
    const v = field(body, k);
    if (v !== undefined && v !== null && v !== false && v !== "" && v !== "local") return refuse(`network option ${k} is for admins`);
  }
  const stamped = stampOwner(body, caller);
  if (stamped) return refuse(stamped);
  return {
    action: "forward",
    body: json(body),
    created: (status, b) => {
      const id = status === 201 ? idFrom(b, "Id") : null;
      return id ? { kind: "network", id, name: String(field(body, "Name") ?? "") } : null;
    },
  };
}

const SHARED_NETWORKS = new Set(["bridge"]);

/** Does a network create pick its own addresses? (The docker CLI always sends an empty IPAM.) */
function ipamChosen(ipam: Json | undefined): boolean {
  if (ipam === undefined || ipam === null) return false;
  if (!isObject(ipam)) return true;
  const driver = field(ipam, "Driver");
  const config = field(ipam, "Config");
  const options = field(ipam, "Options");
  if (driver !== undefined && driver !== null && driver !== "" && driver !== "default") return true;
  if (Array.isArray(config) ? config.length > 0 : config !== undefined && config !== null) return true;
  return isObject(options ?? null) ? Object.keys(options as JsonObject).length > 0 : options !== undefined && options !== null;
}

async function decideNetwork(route: Extract<Route, { kind: "network" }>, target: Target, caller: Caller, ctx: DecideContext, readBody: BodyReader): Promise<Decision> {
  const n = await ctx.engine.getJson(`/networks/${encodeURIComponent(route.ref)}`);
  if (!n) return { action: "respond", status: 404, message: `network ${route.ref} not found` };
  const id = String(n.Id);
  const name = String(n.Name ?? "");
  const owner = labelOwner("network", id, n.Labels, ctx);
  const shared = SHARED_NETWORKS.has(name) && route.op !== "remove";
  if (!shared && owner !== caller.name) return refuse(`network ${name || route.ref} is not yours (${owner ? `its owner is ${owner}` : "it has no owner on record"})`);
  const forward: Extract<Decision, { action: "forward" }> = { action: "forward", target: withObjectId(target, id) };
  if (route.op === "remove") forward.removed = { kind: "network", id };
  else {
    const body = await readStruct(readBody, `network ${route.op}`);
    if (typeof body === "string") return refuse(body);
    const c = field(body, "Container");
    if (typeof c !== "string" || c === "") return refuse(`network ${route.op} needs a Container`);
    const facts = await ownContainer(c, caller, ctx);
    if ("action" in facts) return facts;
    setField(body, "Container", facts.id);
    forward.body = json(body);
  }
  return forward;
}

export async function decide(route: Route, target: Target, caller: Caller, ctx: DecideContext, readBody: BodyReader): Promise<Decision> {
  switch (route.kind) {
    case "open":
      return { action: "forward" };
    case "admin":
      return refuse(`${route.what} is for admins only; ask an admin if you need it`);
    case "create":
      return decideCreate(target, caller, ctx, readBody);
    case "list":
      return ctx.settings.gate.show_all_containers ? { action: "forward" } : { action: "forward", filter: "list" };
    case "events":
      return ctx.settings.gate.show_all_containers ? { action: "forward" } : { action: "forward", filter: "events" };
    case "buildkit-session":
      return ctx.settings.gate.allow_buildkit ? { action: "forward" } : refuse(BUILDKIT_OFF);
    case "disk-usage":
      return ctx.settings.gate.show_all_containers ? { action: "forward" } : { action: "forward", filter: "disk-usage" };
    case "container":
      return decideContainer(route, target, caller, ctx, readBody);
    case "exec-create":
      return decideExecCreate(route.ref, target, caller, ctx, readBody);
    case "exec":
      return decideExec(route.execId, caller, ctx);
    case "commit": {
      const ref = queryValue(target, "container");
      if (!ref) return refuse("docker commit needs ?container=");
      const facts = await ownContainer(ref, caller, ctx);
      if ("action" in facts) return facts;
      const claimed = await claim(repoTag(target), caller, ctx);
      // Forwarded by full id: a name checked here cannot be resolved to another container there.
      return claimed ?? { action: "forward", target: withQueryValue(target, "container", facts.id) };
    }
    case "build": {
      const d = await decideBuild(target, caller, ctx);
      if (d.action !== "forward") return d;
      const outputs = outputNames(queryValue(target, "outputs"));
      if (outputs === null) return refuse("docker build's outputs parameter cannot be read; use -t NAME");
      const buildArgs = buildArgsOf(queryValue(target, "buildargs"));
      if (buildArgs === null) return refuse("docker build's buildargs parameter cannot be read (a JSON object of strings); use --build-arg NAME=VALUE");
      const tags = [...(target.query.get("t") ?? []), ...outputs].map((t) => tagTarget(t));
      const predefined = platformArgs(queryValue(target, "version") === "2", queryValue(target, "platform"));
      const archive = buildContextCheck(dockerfilePaths(queryValue(target, "dockerfile")), buildArgs, (image) => tagMadeByOther(image, caller, ctx), predefined);
      return (await claim(tags, caller, ctx)) ?? { ...d, archive };
    }
    case "image-tag":
      return (await claim(repoTag(target), caller, ctx)) ?? { action: "forward" };
    case "image-pull": {
      const src = queryValue(target, "fromSrc");
      if (src !== undefined && src !== "-") return refuse("docker import from a URL makes the engine download it as root; download the file yourself and import it from standard input");
      if (src === "-") return (await claim(repoTag(target), caller, ctx)) ?? { action: "forward" };
      const image = queryValue(target, "fromImage") ?? "";
      const tag = queryValue(target, "tag") ?? "";
      const named = tagTarget(image, tag);
      // No tag and none in the name: every tag of the repository (docker pull --all-tags).
      if (named && tag === "" && image.lastIndexOf(":") <= image.lastIndexOf("/")) return refuse("pulling every tag of a repository can replace tags others made here; pull the tags you need by name");
      const p = named ? pullProblem(named, caller, { owners: ctx.owners }) : null;
      return p ? refuse(p) : { action: "forward" };
    }
    case "image-load":
      return {
        action: "forward",
        archive: loadCheck(async (tags) => {
          const refused = await claim(tags, caller, ctx);
          return refused?.action === "refuse" ? refused.reason : null;
        }),
      };
    case "image-remove":
      return ctx.settings.gate.allow_image_removal ? { action: "forward" } : refuse("removing images is for admins on this server (images are shared); ask an admin");
    case "volume-create":
      return decideVolumeCreate(caller, readBody);
    case "volume":
      return decideVolumeRemove(route.name, caller, ctx);
    case "network-create":
      return decideNetworkCreate(caller, readBody);
    case "network-read":
      return ctx.settings.gate.show_all_containers ? { action: "forward" } : { action: "forward", filter: "networks" };
    case "network":
      return decideNetwork(route, target, caller, ctx, readBody);
  }
}
