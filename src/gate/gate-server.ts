// The gate: a Unix socket in front of dockerd that knows who is calling. Each connection's
// pid/uid/gid come from the kernel; each request is parsed strictly, classified, and either
// refused (403 with a `ds01:` message and an audit record) or forwarded. Admins pass unchanged.
import { realpath } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { cachedPolicy } from "../config/policy-cache.js";
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { EVENT } from "../constants/event-types.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import type { IdentityOptions } from "../docker/identity.js";
import { errorText } from "../errors.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { Logger } from "../util/log.js";
import type { AccountLookup } from "./accounts.js";
import type { Caller } from "./create-admission.js";
import { containerOwnerOf, decide, type Created, type Decision, type DecideContext, type DecideSettings, type GateGpus } from "./decide.js";
import { GateEngine, imageJson } from "./engine.js";
import { ImageLabelCache } from "./image-label-cache.js";
import type { ObjectKind, OwnershipStore } from "./ownership.js";
import { peerCredentials, type PeerCredentials } from "./peer-credentials.js";
import { forwardHttp, forwardUpgrade, sendJson, type ProxyOptions, type Replacement } from "./proxy.js";
import { forwardSpliced, spliceable } from "./splice.js";
import { classify, mayChangeImages, type Route } from "./routes.js";
import { parseTarget, type Target } from "./target.js";
import { GpuQueue } from "./gpu-queue.js";
import { queuedGpus } from "./queued-gpus.js";
import { RecentCreates } from "./recent-creates.js";
import type { QueueSnapshotWriter } from "./queue-snapshot.js";
import type { Timers } from "../daemon/timers.js";
import { systemClock, type Clock } from "../util/clock.js";
import type { GpuReserve } from "./decide.js";
import type { CgroupAdmission } from "../cgroups/admission.js";
import { RequestRate } from "./request-rate.js";

export interface GateDeps {
  engineSocket: string;
  accounts: AccountLookup;
  owners: OwnershipStore;
  audit: (e: AuditEvent) => void;
  log: Logger;
  /** Identity rules (infrastructure prefixes, protected label) from the current config. */
  identity: (config: LoadedConfig) => IdentityOptions;
  credentials?: (socket: Socket) => PeerCredentials;
  /** The allocator for GPU creates (built per config). */
  gpus?: (config: LoadedConfig) => GateGpus;
  /** Runs fn in one store transaction (the ownership records and the audit log share the store). */
  transaction?: (fn: () => void) => void;
  /** The fair queue for GPU creates that find no free slot (absent: they are refused at once). */
  queue?: { clock: Clock; timers: Timers; snapshot?: QueueSnapshotWriter };
  /** Per-user aggregate limits (cgroup parents), for a config. */
  cgroups?: (config: () => LoadedConfig) => CgroupAdmission;
}

type Forward = Extract<Decision, { action: "forward" }>;

/** How the gate removes something it created but could not record (anonymous volumes of a container too). */
const UNDO_PATH: Record<ObjectKind, (id: string) => string> = {
  container: (id) => `/containers/${encodeURIComponent(id)}?force=1&v=1`,
  volume: (id) => `/volumes/${encodeURIComponent(id)}`,
  network: (id) => `/networks/${encodeURIComponent(id)}`,
};

class BodyTooLarge extends Error {}

/** The request body, refused past `limit` bytes (a declared Content-Length over it is refused unread). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limit) return Promise.reject(new BodyTooLarge(`the request body (${declared} bytes) is over the gate's limit of ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        reject(new BodyTooLarge(`the request body is over the gate's limit of ${limit} bytes`));
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Reads and drops what is left of a refused request's body (at most 8 MiB, 2 s), so the answer
 * reaches a client that is still sending instead of a reset connection. False when it gave up.
 */
function drainBody(req: IncomingMessage): Promise<boolean> {
  if (req.complete || req.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    let size = 0;
    const done = (v: boolean) => {
      clearTimeout(timer);
      req.off("data", onData);
      resolve(v);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > 8 * 1024 * 1024) done(false);
    };
    const timer = setTimeout(() => done(false), 2000);
    req.on("data", onData);
    req.once("end", () => done(true));
    req.once("error", () => done(false));
    req.resume();
  });
}

/**
 * For a refusal in the middle of an upload (a load whose archive sets someone else's tag): the
 * client has the answer already and its body is read and dropped to its end (at most 60 s), so a
 * client still sending reads the refusal instead of a broken pipe; then the connection closes.
 */
function discardRest(req: IncomingMessage): void {
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), 60_000);
  timer.unref();
  const done = () => {
    clearTimeout(timer);
    socket.destroySoon();
  };
  if (req.complete || req.readableEnded) return done();
  req.on("data", () => undefined);
  req.once("end", done);
  req.once("error", done);
  req.resume();
}

/** Routes whose bodies and answers the gate never reads, and which may be large or long. */
function opaque(route: Route, method: string, target: Target): boolean {
  if (route.kind === "container") return route.op === "archive" || route.op === "export" || route.op === "logs";
  if (route.kind === "build" || route.kind === "image-pull" || route.kind === "image-load") return true;
  if (route.kind === "open") return target.path === "/images/get" || (method === "GET" && /^\/images\/.+\/get$/.test(target.path));
  return false;
}

/** Resolves true once `res` is the answer its connection sends next, false if the connection closed first. */
function answerTurn(res: ServerResponse, socket: Socket): Promise<boolean> {
  if (res.socket === socket) return Promise.resolve(true);
  if (socket.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const turn = () => {
      socket.off("close", gone);
      resolve(true);
    };
    const gone = () => {
      res.off("socket", turn);
      resolve(false);
    };
    res.once("socket", turn);
    socket.once("close", gone);
  });
}

/** Routes whose requests may hijack the connection; an upgrade anywhere else would hide a body. */
function mayUpgrade(route: Route, method: string, target: Target): boolean {
  if (route.kind === "container") return route.op === "attach" || route.op === "attach/ws";
  if (route.kind === "exec") return route.op === "start";
  return method === "POST" && (target.path === "/session" || target.path === "/grpc");
}

export class Gate {
  private server: Server | null = null;
  private readonly agent = new Agent({ keepAlive: true, maxFreeSockets: 64 });
  private readonly creds = new WeakMap<Socket, PeerCredentials>();
  /** Connections that end with this request's answer (a spliced one): later requests are dropped. */
  private readonly lastOn = new WeakMap<Socket, IncomingMessage>();
  private readonly engine: GateEngine;
  private config: LoadedConfig;
  private settings: DecideSettings;
  private gpus: GateGpus | undefined;
  private readonly open = new Set<Socket>();
  /** Open connections per uid (each stream, `docker logs -f`, attach… holds one). */
  private readonly openByUid = new Map<number, number>();
  private readonly rate = new RequestRate(() => this.settings.gate.max_requests_per_s);
  /** Per user: when the last throttling refusal was audited, and how many went unaudited since. */
  private readonly throttled = new Map<number, { auditedAt: number; since: number }>();
  private readonly queue: GpuQueue<GpuReserve> | null;
  /** Labels of the images creates name, while nothing can have changed them (image-label-cache.ts). */
  private readonly images: ImageLabelCache;

  constructor(
    config: LoadedConfig,
    private readonly deps: GateDeps,
  ) {
    this.engine = new GateEngine(deps.engineSocket, this.agent);
    this.images = new ImageLabelCache({
      read: async (ref) => {
        const i = await imageJson(this.engine, ref).catch(() => null);
        return i ? ((i.Config as { Labels?: Record<string, string> | null } | undefined)?.Labels ?? {}) : null;
      },
      clock: deps.queue?.clock ?? systemClock,
    });
    this.config = config;
    this.settings = this.settingsFor(config);
    const q = deps.queue;
    this.queue = q
      ? new GpuQueue<GpuReserve>({
          clock: q.clock,
          timers: q.timers,
          onChange: (w) => q.snapshot?.waiting(w),
          discard: (r) => {
            if (r.ok) void this.gpus?.release(r.requestId).catch((e: unknown) => deps.log.warn({ error: errorText(e) }, "gate: a reservation nobody waits for any more could not be released; it expires by itself"));
          },
        })
      : null;
    this.gpus = this.gpusFor(config);
  }

  /** The allocator for `config`, behind the queue when there is one. */
  private gpusFor(config: LoadedConfig): GateGpus | undefined {
    const inner = this.deps.gpus?.(config);
    if (!inner || !this.queue) return inner;
    return queuedGpus(inner, {
      queue: this.queue,
      waitS: () => this.config.gate.gpu_wait_s,
      ...(this.deps.queue?.snapshot ? { snapshot: this.deps.queue.snapshot } : {}),
      audit: (type, user, container, details) => this.audit(type, user, container, null, details),
    });
  }

  /** The next GPU create reads the GPU inventory afresh (SIGHUP: an admin changed the MIG layout). */
  rereadGpus(): void {
    this.gpus?.rereadGpus?.();
  }

  /** A GPU slot may have freed (`why`: a container was destroyed, …): waiting creates get their turn. */
  slotsMayHaveFreed(why: string): void {
    this.queue?.kick(why);
  }

  /** Docker removed a container: its reservations go, and its slots to whoever waits. */
  containerRemoved(id: string, name: string): void {
    this.recent.remove(id);
    const dropped = this.gpus?.removed?.(id) ?? Promise.resolve();
    void dropped
      .catch((e: unknown) => this.deps.log.warn({ error: errorText(e), container: id.slice(0, 12) }, "gate: a removed container's reservation could not be dropped"))
      .finally(() => this.slotsMayHaveFreed(`container ${name} removed`));
  }

  /** dockerd reported an image event: image labels are read afresh. */
  imagesChanged(): void {
    this.images.changed();
  }

  /** Whether dockerd's image events are being followed (only then are image labels kept). */
  followingImageEvents(up: boolean): void {
    this.images.watching(up);
  }

  /** GPU creates waiting for a slot now. */
  get waitingForGpus(): number {
    return this.queue?.length ?? 0;
  }

  private settingsFor(config: LoadedConfig): DecideSettings {
    const identity = this.deps.identity(config);
    return { gate: config.gate, identity, infrastructurePrefixes: identity.infrastructurePrefixes, protectedLabel: identity.protectedLabel };
  }

  /** A new config applies to requests that start after this call. */
  setConfig(config: LoadedConfig): void {
    this.config = config;
    this.settings = this.settingsFor(config);
    this.gpus = this.gpusFor(config);
  }

  private readonly createChains = new Map<string, Promise<void>>();
  private readonly inFlight = new Map<string, number>();
  private readonly recent = new RecentCreates();

  /** One create's place among the user's creates in flight (enter and leave at most once each). */
  private flightFor(user: string): { enter(): void; leave(): void } {
    let state: "before" | "in" | "out" = "before";
    const add = (d: number) => {
      const n = (this.inFlight.get(user) ?? 0) + d;
      if (n > 0) this.inFlight.set(user, n);
      else this.inFlight.delete(user);
    };
    return {
      enter: () => {
        if (state !== "before") return;
        state = "in";
        add(1);
      },
      leave: () => {
        if (state === "in") add(-1);
        state = "out";
      },
    };
  }

  /** Waits for the user's earlier create to be counted; resolves to this one's release (idempotent; held at most 60 s). */
  private async createLock(user: string): Promise<() => void> {
    const before = this.createChains.get(user) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    const chain = before.then(() => mine);
    this.createChains.set(user, chain);
    await before;
    const timer = setTimeout(() => release(), 60_000);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      done();
      if (this.createChains.get(user) === chain) this.createChains.delete(user);
    };
    return release;
  }

  /** The owners of every container the engine has (for bringing their cgroup parents to a new config). */
  async containerOwners(): Promise<string[]> {
    const r = await this.engine.call("GET", "/containers/json?all=1");
    if (r.status !== 200) throw new Error(`the engine answered ${r.status} to a container listing`);
    const rows = JSON.parse(r.body.toString("utf8")) as { Id: string; Names?: string[]; Labels?: Record<string, string> | null }[];
    const ctx = { owners: this.deps.owners, settings: this.settings };
    return [...new Set(rows.map((c) => containerOwnerOf({ id: c.Id, name: (c.Names?.[0] ?? "").replace(/^\//, ""), labels: c.Labels ?? {} }, ctx)))];
  }

  /** GET /info of the engine (the cgroup driver and version). */
  async engineInfo(): Promise<unknown> {
    return this.engine.getJson("/info");
  }

  get connections(): number {
    return this.open.size;
  }

  listen(socketPath: string): Promise<void> {
    const server = createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 30_000, maxHeaderSize: 256 * 1024 });
    this.server = server;
    server.on("connection", (socket: Socket) => {
      try {
        this.creds.set(socket, (this.deps.credentials ?? peerCredentials)(socket));
      } catch (e) {
        this.deps.log.warn({ error: errorText(e) }, "gate: connection without peer credentials closed");
        socket.destroy();
        return;
      }
      this.open.add(socket);
      const uid = this.creds.get(socket)!.uid;
      this.openByUid.set(uid, (this.openByUid.get(uid) ?? 0) + 1);
      socket.on("close", () => {
        this.open.delete(socket);
        const n = (this.openByUid.get(uid) ?? 1) - 1;
        if (n > 0) this.openByUid.set(uid, n);
        else this.openByUid.delete(uid);
      });
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, { res }).catch((e) => this.internalError(e, { res }));
    });
    server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.handle(req, { socket, head }).catch((e) => this.internalError(e, { socket }));
    });
    server.on("clientError", (err: Error, socket: Socket) => {
      // Node's parser refused the request (conflicting lengths, bad chunking, oversized headers…).
      const body = JSON.stringify({ message: `ds01: the request is not valid HTTP (${(err as NodeJS.ErrnoException).code ?? err.message}); it was not forwarded` });
      if (socket.writable) socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      else socket.destroy();
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  /** Stops accepting, ends idle keep-alive connections, and destroys the rest after `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const s of this.open) s.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
    this.agent.destroy();
  }

  private internalError(e: unknown, to: { res?: ServerResponse; socket?: Socket }): void {
    this.deps.log.error({ error: errorText(e) }, "gate: request failed");
    const message = `ds01: the gate could not check this request (${errorText(e)}); nothing was forwarded`;
    if (to.res) sendJson(to.res, 500, message);
    else to.socket?.destroy();
  }

  private async caller(creds: PeerCredentials): Promise<Caller | null> {
    const account = creds.uid === 0 ? { uid: 0, name: "root", groups: ["root"] } : await this.deps.accounts.byUid(creds.uid);
    if (!account) return null;
    const ac = this.config.accessControl;
    const admin = creds.uid === 0 || ac.admin_users.includes(account.name) || (ac.admin_group !== null && account.groups.includes(ac.admin_group));
    return { uid: creds.uid, gid: creds.gid, pid: creds.pid, name: account.name, groups: account.groups, admin };
  }

  /**
   * A request over the caller's rate: 429. Audited once a minute per user at most (a flood of
   * refusals must not become a flood of store writes), with how many went unaudited before it.
   */
  private refuseThrottled(req: IncomingMessage, to: { res?: ServerResponse; socket?: Socket }, caller: Caller, creds: PeerCredentials): void {
    const rate = this.settings.gate.max_requests_per_s;
    const reason = `you are sending more than ${rate} requests a second to Docker (gate.max_requests_per_s), so other users' requests would wait behind yours; slow down (a loop calling docker: add a sleep) and try again`;
    const now = Date.now();
    const t = this.throttled.get(creds.uid);
    if (t && now - t.auditedAt < 60_000) t.since++;
    else {
      this.throttled.set(creds.uid, { auditedAt: now, since: 0 });
      this.audit(EVENT.gateDenied, caller.name, null, null, { method: req.method, path: req.url, reason, uid: creds.uid, pid: creds.pid, throttled: true, unrecorded_before: t?.since ?? 0 });
    }
    to.res?.setHeader("Retry-After", "1");
    this.refuse(req, to, caller, creds, reason, 429, false, false);
  }

  /** `answerFirst`: the body is being read already (a load); answer now, then drop the rest of it. */
  private refuse(req: IncomingMessage, to: { res?: ServerResponse; socket?: Socket }, caller: Caller | null, creds: PeerCredentials, reason: string, status = 403, answerFirst = false, audited = true): void {
    const message = `ds01: ${reason}`;
    if (audited) this.audit(EVENT.gateDenied, caller?.name ?? `uid ${creds.uid}`, null, null, { method: req.method, path: req.url, reason, uid: creds.uid, pid: creds.pid });
    if (to.res && answerFirst) {
      // Not "Connection: close": Node would close the socket as soon as the answer is out.
      to.res.removeHeader("Connection");
      sendJson(to.res, status, message);
      discardRest(req);
    } else if (to.res) {
      const res = to.res;
      void drainBody(req).then((drained) => {
        // A body that could not be read to its end must not be parsed as the next request.
        if (!drained) res.setHeader("Connection", "close");
        sendJson(res, status, message);
      });
    } else if (to.socket) {
      const body = JSON.stringify({ message });
      to.socket.end(`HTTP/1.1 ${status} Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
  }

  private audit(type: AuditEvent["type"], user: string | null, container: string | null, containerId: string | null, details: Record<string, unknown>): void {
    this.record({ time: Date.now(), type, user, container, containerId, details });
  }

  /** One audit event in its own commit; a store that fails is logged, not thrown. */
  private record(e: AuditEvent): void {
    try {
      this.deps.audit(e);
    } catch (err) {
      this.deps.log.error({ error: errorText(err), type: e.type }, "gate: audit record could not be written");
    }
  }

  private async handle(req: IncomingMessage, to: { res?: ServerResponse; socket?: Socket; head?: Buffer }): Promise<void> {
    // A request sent after one whose answer ends the connection is never forwarded.
    const last = this.lastOn.get(req.socket);
    if (last && last !== req) return;
    const parsed = parseTarget(req.url ?? "");
    const method = req.method ?? "";
    const classified = parsed.ok ? classify(method, parsed.target.path) : null;
    // Marked before anything is awaited: a request pipelined behind this one is handled after this.
    const splicing = to.res !== undefined && classified !== null && parsed.ok && opaque(classified, method, parsed.target);
    if (splicing) {
      this.lastOn.set(req.socket, req);
      to.res!.setHeader("Connection", "close");
    }
    const creds = this.creds.get(req.socket);
    if (!creds) {
      req.socket.destroy();
      return;
    }
    const caller = await this.caller(creds);
    if (!caller) return this.refuse(req, to, null, creds, `uid ${creds.uid} has no account on this host; ask an admin`);
    // One user cannot take every socket and file descriptor of the gate (hundreds of held streams).
    const cap = this.settings.gate.max_connections_per_user;
    const held = this.openByUid.get(creds.uid) ?? 0;
    if (!caller.admin && cap > 0 && held > cap) {
      to.res?.setHeader("Connection", "close");
      return this.refuse(req, to, caller, creds, `you hold ${held - 1} connections to Docker and may hold ${cap} (gate.max_connections_per_user); end some streams (docker logs -f, docker events, docker attach) and try again`, 429);
    }
    if (!caller.admin) {
      const wait = this.rate.take(creds.uid);
      if (wait === null) return this.refuseThrottled(req, to, caller, creds);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    if (!parsed.ok) return this.refuse(req, to, caller, creds, `${parsed.reason}; the request was not forwarded`, 400);
    const target = parsed.target;
    const route = classified ?? classify(method, target.path);
    if (to.socket && !caller.admin && !mayUpgrade(route, method, target)) {
      return this.refuse(req, to, caller, creds, `a connection upgrade is only possible for attach, exec and build sessions, not for ${method} ${target.path}`);
    }

    // Go's ParseForm reads parameters from a form body before the query: a body could say what the
    // query the gate checked does not. Docker clients never send forms.
    const type = String(req.headers["content-type"] ?? "").toLowerCase();
    if (!caller.admin && (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data"))) {
      return this.refuse(req, to, caller, creds, "form-encoded request bodies are refused (Docker's API takes JSON and archives)");
    }
    let decision: Decision;
    let override: string | null = null;
    const settings = this.settings;
    const limit = settings.gate.max_create_body_kb * 1024;
    const body = () => readBody(req, limit);
    if (caller.admin) {
      decision = this.adminDecision(route, target);
      if (route.kind === "admin") override = route.what;
    } else {
      const config = this.config;
      const ctx: DecideContext = {
        engine: this.engine,
        owners: this.deps.owners,
        settings,
        realpath,
        gpus: this.gpus,
        limitsFor: (user) => cachedPolicy(config, user, Date.now()).limits,
        hostCpus: availableParallelism(),
        cgroups: this.deps.cgroups?.(() => config),
        imageLabels: (ref) => this.images.labels(ref),
      };
      // A create waiting for a GPU leaves the queue when its client hangs up.
      const gone = new AbortController();
      const hangUp = () => gone.abort();
      if (route.kind === "create") {
        req.socket.once("close", hangUp);
        ctx.signal = gone.signal;
      }
      // One create per user is counted at a time, so concurrent creates cannot all pass
      // max_containers_per_user on the same count. Once counted, a create is "in flight" (it counts
      // for the user's next ones) until dockerd answers, and the lock passes on: a create waiting
      // for a GPU does not hold up the user's next create.
      const unlock = route.kind === "create" ? await this.createLock(caller.name) : () => undefined;
      const flight = this.flightFor(caller.name);
      ctx.createsInFlight = (user) => this.inFlight.get(user) ?? 0;
      ctx.recentCreates = (user) => this.recent.of(user);
      ctx.admitted = () => {
        flight.enter();
        unlock();
      };
      const release = () => {
        unlock();
        flight.leave();
      };
      try {
        decision = await decide(route, target, caller, ctx, body).finally(() => req.socket.off("close", hangUp));
        if (decision.action === "forward") {
          const after = decision.after;
          decision.after = (status, answer) => {
            release();
            return after?.(status, answer);
          };
          // An answer cut off midway reaches neither onAnswer nor settle: its events go now.
          const d = decision;
          const closed = () => {
            release();
            this.recordEvents(d);
          };
          to.res?.once("close", closed);
          to.socket?.once("close", closed);
        } else release();
      } catch (e) {
        release();
        if (e instanceof BodyTooLarge) return this.refuse(req, to, caller, creds, `${e.message}; the request was not forwarded`);
        if ((e as NodeJS.ErrnoException).code === "ECONNREFUSED" || (e as NodeJS.ErrnoException).code === "ENOENT") {
          if (to.res) sendJson(to.res, 502, `ds01: the Docker engine does not answer on ${this.deps.engineSocket}; try again in a moment`);
          else to.socket?.destroy();
          return;
        }
        throw e;
      }
    }
    if (decision.action === "refuse") {
      this.recordEvents(decision);
      return this.refuse(req, to, caller, creds, decision.reason);
    }
    if (decision.action === "respond") {
      if (to.res) sendJson(to.res, decision.status, decision.message);
      else to.socket?.destroy();
      return;
    }
    // A stream pipelined behind an answer still going (events, a wait) is sent to dockerd only
    // once its answer is the connection's next: sent at once, its answer would wait in the gate,
    // unwatched, while dockerd, unable to write it, held what the request holds (a copy's container
    // lock) for as long as the answer ahead ran, the client long gone too.
    if (splicing && !(await answerTurn(to.res!, req.socket))) return;
    if (mayChangeImages(route, method)) {
      const end = this.images.begin();
      to.res?.once("close", end);
      to.socket?.once("close", end);
    }
    const proxy = this.proxyOptions(caller, decision, override);
    proxy.refuse = (reason, status) => this.refuse(req, to, caller, creds, reason, status, true);
    if (to.socket) forwardUpgrade(req, to.socket, to.head ?? Buffer.alloc(0), decision, proxy);
    else if (splicing && spliceable(decision, to.res!, req.socket)) forwardSpliced(req, to.res!, decision, proxy);
    else forwardHttp(req, to.res!, decision, proxy);
  }

  /** Admins pass unchanged; their creates are still recorded (as admin-made) and audited. */
  private adminDecision(route: Route, target: Target): Forward {
    const d: Forward = { action: "forward" };
    if (route.kind === "create") {
      const name = target.query.get("name")?.[0] ?? "";
      d.created = (status, body) => {
        if (status !== 201) return null;
        try {
          const id = (JSON.parse(body.toString("utf8")) as { Id?: string }).Id;
          return id ? { kind: "container", id, name } : null;
        } catch {
          return null;
        }
      };
      d.audit = { name: name || null, admin: true };
    }
    return d;
  }

  /** `note`: an admin used an admin-only endpoint (audited once it succeeded). */
  private proxyOptions(caller: Caller, d: Forward, note: string | null): ProxyOptions {
    const ctx = { owners: this.deps.owners, settings: this.settings };
    return {
      engineSocket: this.deps.engineSocket,
      agent: this.agent,
      keepContainer: (id, labels, name) => containerOwnerOf({ id, labels, name }, ctx) === caller.name,
      keepEvent: (ev) => this.keepEvent(ev, caller),
      keepContainerId: (id) => this.deps.owners.get("container", id)?.user === caller.name,
      onEngineError: (e) => {
        this.deps.log.warn({ error: errorText(e) }, "gate: engine unreachable");
        this.settle(d, 502, null);
      },
      onStalled: (why) => {
        const what = d.target ?? "";
        const moved = why.kind === "trickle" ? { moved_bytes: why.moved, needed_bytes: why.needed } : {};
        this.deps.log.warn({ user: caller.name, target: what, waited_ms: why.waitedMs, cause: why.kind, ...moved }, "gate: a copy or export held up by its client was cut off");
        this.audit(EVENT.gateStalled, caller.name, null, null, { target: what, cause: why.kind, waited_s: why.waitedMs / 1000, ...moved, uid: caller.uid, pid: caller.pid });
      },
      onAnswer: (status, body) => {
        const created = d.created && body ? d.created(status, body) : null;
        const undone = created ? this.recordCreated(created, caller, d) : null;
        // Counted as the user's from now on (before it leaves "in flight" below), listed or not.
        if (created?.kind === "container" && !undone) this.recent.add(caller.name, created.id);
        this.settle(d, undone ? undone.status : status, undone ? null : body);
        if (note && status < 400) this.audit(EVENT.gateAdminOverride, caller.name, null, null, { what: note, status });
        if (d.removed && status >= 200 && status < 300) this.forgetRemoved(d.removed);
        return undone ?? undefined;
      },
    };
  }

  /**
   * The owner record of what was just created, and its audit event, in one commit (one fsync on
   * the answer's path). A create that cannot be recorded is not handed out: what dockerd created
   * is removed again and the client gets the reason instead (a full or failing state directory).
   */
  private recordCreated(c: Created, caller: Caller, d: Forward): Replacement | null {
    try {
      this.atomically(() => {
        this.deps.owners.put({ kind: c.kind, id: c.id, uid: caller.uid, user: caller.name, admin: caller.admin, createdAt: Date.now() });
        // Not this.audit(), which would swallow a failure: the record and its events stand or fall together.
        for (const e of d.events ?? []) this.deps.audit({ ...e, containerId: c.id });
        if (c.kind === "container") this.deps.audit({ time: Date.now(), type: EVENT.gateCreate, user: caller.name, container: c.name || null, containerId: c.id, details: { ...(d.audit ?? {}), uid: caller.uid, pid: caller.pid, admin: caller.admin } });
      });
      d.events = undefined; // recorded
      return null;
    } catch (e) {
      const error = errorText(e);
      this.deps.log.error({ kind: c.kind, id: c.id, user: caller.name, error }, "gate: the owner record could not be written; removing what was created");
      const leftBehind = (why: Record<string, unknown>) => this.deps.log.error({ kind: c.kind, id: c.id, ...why }, "gate: could not remove an unrecorded create; remove it by hand");
      const removed = this.engine.call("DELETE", UNDO_PATH[c.kind](c.id)).then(
        (r) => r.status >= 300 && r.status !== 404 && leftBehind({ status: r.status }),
        (err: unknown) => leftBehind({ error: errorText(err) }),
      );
      return { status: 500, when: removed, message: `ds01: the ${c.kind} was created but could not be recorded as yours (${error}), so it was removed again; try again, and tell an admin if it persists (the gate's state directory needs attention)` };
    }
  }

  /**
   * A decision's audit events not recorded with a create (nothing was created, or the record
   * failed), recorded once, on their own; a store that fails is logged.
   */
  private recordEvents(d: { events?: AuditEvent[] }): void {
    const events = d.events ?? [];
    d.events = undefined;
    events.forEach((e) => this.record(e));
  }

  /** The decision's own follow-up to dockerd's answer (a GPU reservation confirmed or released), never thrown. */
  private settle(d: Forward, status: number, body: Buffer | null): void {
    this.recordEvents(d);
    if (!d.after) return;
    // A reservation not confirmed or not released (lock busy, store failing) expires by itself.
    const failed = (e: unknown) => this.deps.log.warn({ error: errorText(e), status }, "gate: the GPU reservation could not be settled after dockerd's answer");
    // After the answer has left: until then the reservation counts as pending, which holds its
    // slots just as a confirmed one does, and the client need not wait for the bookkeeping.
    setImmediate(() => {
      try {
        void Promise.resolve(d.after?.(status, body)).catch(failed);
      } catch (e) {
        failed(e);
      }
    });
  }

  /** A removal's owner record goes; a store that cannot take it leaves a record of an id that no longer exists. */
  private forgetRemoved(r: { kind: ObjectKind; id: string }): void {
    if (r.kind === "container") this.recent.remove(r.id);
    try {
      this.deps.owners.forget(r.kind, r.id);
    } catch (e) {
      this.deps.log.error({ kind: r.kind, id: r.id, error: errorText(e) }, "gate: the owner record of a removed object could not be dropped");
    }
  }

  private atomically(fn: () => void): void {
    if (this.deps.transaction) this.deps.transaction(fn);
    else fn();
  }

  private keepEvent(ev: Record<string, unknown>, caller: Caller): boolean {
    const type = String(ev.Type ?? "");
    const actor = (ev.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> };
    const id = String(actor.ID ?? ev.id ?? "");
    if (type === "container") {
      const attrs = actor.Attributes ?? {};
      return containerOwnerOf({ id, labels: attrs, name: attrs.name ?? "" }, { owners: this.deps.owners, settings: this.settings }) === caller.name;
    }
    if (type === "image") return true;
    if (type === "volume" || type === "network") return this.deps.owners.get(type, id)?.user === caller.name;
    return false;
  }
}
