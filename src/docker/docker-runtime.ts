// ContainerRuntime over the Docker Engine API (plain node:http, engine-client.ts; DOCKER_HOST honoured).
// Every call has a deadline; an unreachable engine or an answer that does not parse is a
// TransientError (source "docker"), never an empty fleet.
import type { Duplex } from "node:stream";
import type { ContainerInfo } from "../model/container.js";
import type { ContainerEvent, ContainerRuntime, EngineStats, PathStat } from "../model/ports.js";
import { EngineClient, EngineError, type EngineClientOptions } from "./engine-client.js";
import { eventSchema, inspectSchema, listSchema, statsSchema, type InspectBody, type ListEntry } from "./engine-schema.js";
import { ENGINE_CONNECTIONS } from "./engine-http.js";
import { DEFAULT_INSPECT_CACHE_MAX_AGE_MS, InspectCache } from "./inspect-cache.js";
import { readInspectCacheFile, writeInspectCacheFile } from "./inspect-cache-file.js";
import { mapLimit } from "./map-limit.js";
import { toContainerEvent, toContainerInfo, toEngineStats } from "./parse.js";

export interface DockerRuntimeOptions extends EngineClientOptions {
  /** Inspect calls in flight at once during `list()`. */
  inspectConcurrency?: number;
  /**
   * How long an inspect body may be reused by `list()` while the container's list entry is
   * unchanged (see inspect-cache.ts for the exact rule); 0 = always inspect. Default 5 minutes.
   */
  inspectCacheMaxAgeMs?: number;
  /** Clock for stats timestamps and the inspect cache (tests); defaults to Date.now. */
  now?: () => number;
  /**
   * Keep the inspect cache in this file between processes (one-shot commands; inspect-cache-file.ts).
   * Read at the first list(), written after each list() that changed it.
   */
  inspectCacheFile?: string | null;
}

const enc = encodeURIComponent;

export class DockerRuntime implements ContainerRuntime {
  readonly client: EngineClient;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly cache: InspectCache;
  private cacheFile: { path: string; loaded: boolean } | null;

  constructor(opts: DockerRuntimeOptions = {}) {
    this.client = new EngineClient(opts);
    this.concurrency = opts.inspectConcurrency ?? ENGINE_CONNECTIONS;
    this.now = opts.now ?? Date.now;
    this.cache = new InspectCache(opts.inspectCacheMaxAgeMs ?? DEFAULT_INSPECT_CACHE_MAX_AGE_MS, this.now);
    this.cacheFile = opts.inspectCacheFile ? { path: opts.inspectCacheFile, loaded: false } : null;
  }

  /** Drops what list() remembers about a container (call it on any Docker event for that id). */
  invalidate(id: string): void {
    this.cache.invalidate(id);
  }

  /** Inspect bodies list() currently remembers (for benchmarks and tests). */
  get cachedInspects(): number {
    return this.cache.size;
  }

  /**
   * Every container in every state: one list call for enumeration, labels, names and state, then
   * one inspect per container (bounded concurrency) for what the list lacks (times, pid,
   * DeviceRequests, restart count, cgroup parent, environment). An inspect body is reused while
   * the container's list entry shows it cannot have changed (inspect-cache.ts), so a steady fleet
   * costs one call. A container removed between the two calls is left out; any other failure throws.
   */
  async list(filters?: { label?: string[] }): Promise<ContainerInfo[]> {
    const query: Record<string, unknown> = { all: true };
    if (filters?.label?.length) query.filters = { label: filters.label };
    if (this.cacheFile && !this.cacheFile.loaded) {
      this.cache.load(readInspectCacheFile(this.cacheFile.path));
      this.cacheFile.loaded = true;
    }
    const entries = await this.client.json({ method: "GET", path: "/containers/json?", query }, listSchema);
    const infos = await mapLimit(entries, this.concurrency, async (entry) => {
      let body = this.cache.get(entry);
      if (!body) {
        const fetchedAt = this.now();
        body = await this.inspectBody(entry.Id);
        if (body) this.cache.put(entry, body, fetchedAt);
      }
      return body ? this.toInfo(body, entry) : null;
    });
    if (!filters?.label?.length) this.cache.retain(new Set(entries.map((e) => e.Id)));
    this.cache.dropExpired();
    if (this.cacheFile) {
      const { entries: kept, changed } = this.cache.takeChanges();
      if (changed) writeInspectCacheFile(this.cacheFile.path, kept);
    }
    return infos.filter((c): c is ContainerInfo => c !== null);
  }

  async inspect(idOrName: string): Promise<ContainerInfo | null> {
    const body = await this.inspectBody(idOrName);
    return body ? this.toInfo(body) : null;
  }

  async stop(id: string, graceS: number): Promise<void> {
    const t = Math.max(0, Math.round(graceS));
    try {
      await this.client.request({
        method: "POST",
        path: `/containers/${enc(id)}/stop?`,
        query: { t },
        ok: [204, 304],
        timeoutMs: t * 1000 + this.client.timeoutMs,
      });
    } catch (e) {
      if (e instanceof EngineError && e.statusCode === 404) return; // gone: nothing to stop
      throw e;
    }
  }

  async remove(id: string): Promise<void> {
    await this.client.request({ method: "DELETE", path: `/containers/${enc(id)}?`, query: { v: false }, ok: [204, 404] });
  }

  async stats(id: string): Promise<EngineStats | null> {
    try {
      const body = await this.client.json(
        { method: "GET", path: `/containers/${enc(id)}/stats?`, query: { stream: false, "one-shot": true } },
        statsSchema,
      );
      const s = toEngineStats(body, this.now());
      // A container that is not running answers with zero counters and Docker's zero time.
      return s && body.read && !body.read.startsWith("0001-") ? s : null;
    } catch (e) {
      if (e instanceof EngineError && e.statusCode === 404) return null;
      throw e;
    }
  }

  async exec(id: string, cmd: string[], opts: { timeoutMs: number; stdin?: string }): Promise<{ exitCode: number | null }> {
    const withStdin = opts.stdin !== undefined;
    const created = (await this.client.request({
      method: "POST",
      path: `/containers/${enc(id)}/exec`,
      body: { Cmd: cmd, AttachStdin: withStdin, AttachStdout: true, AttachStderr: true, Tty: false },
      ok: [201],
      timeoutMs: opts.timeoutMs,
    })) as { Id?: unknown } | null;
    const execId = typeof created?.Id === "string" ? created.Id : null;
    if (!execId) throw new EngineError(`docker engine at ${this.client.target}: exec create returned no id`, null);
    const deadline = Date.now() + opts.timeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let attached: Duplex | null = null;
    const run = (async () => {
      const stream = await this.client.upgrade(`/exec/${enc(execId)}/start`, { Detach: false, Tty: false }, controller.signal, opts.timeoutMs);
      attached = stream;
      if (controller.signal.aborted) stream.destroy();
      // The output is not wanted; the end of it is: dockerd closes the stream when the command exits.
      await new Promise<void>((resolve, reject) => {
        stream.on("end", resolve);
        stream.on("close", resolve);
        stream.on("error", reject);
        stream.resume();
        // stdin, then a half-close: the command reads to its end of input.
        if (withStdin) stream.end(opts.stdin);
      });
      stream.destroy();
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        (attached as Duplex | null)?.destroy(); // the hijacked connection outlives the request's abort signal
        reject(new EngineError(`docker exec in ${id.slice(0, 12)} timed out after ${opts.timeoutMs} ms`, null));
      }, opts.timeoutMs);
    });
    try {
      await Promise.race([run, timeout]);
    } catch (e) {
      run.catch(() => undefined);
      if (e instanceof EngineError) throw e;
      throw new EngineError(`docker exec in ${id.slice(0, 12)} failed: ${(e as Error).message}`, null, { cause: e });
    } finally {
      clearTimeout(timer);
    }
    const info = (await this.client.request({
      method: "GET",
      path: `/exec/${enc(execId)}/json`,
      timeoutMs: Math.max(1000, deadline - Date.now()),
    })) as { ExitCode?: unknown; Running?: unknown } | null;
    return { exitCode: info?.Running === false && typeof info.ExitCode === "number" ? info.ExitCode : null };
  }

  async statPath(id: string, path: string, opts: { timeoutMs: number }): Promise<PathStat | null> {
    const answer = await this.client.answer({ method: "HEAD", path: `/containers/${enc(id)}/archive?`, query: { path }, ok: [200, 404], timeoutMs: opts.timeoutMs });
    if (answer.status === 404) return null;
    return parsePathStat(answer.headers["x-docker-container-path-stat"]);
  }

  async copyFrom(id: string, path: string, opts: { timeoutMs: number }): Promise<Buffer | null> {
    const answer = await this.client.answer({ method: "GET", path: `/containers/${enc(id)}/archive?`, query: { path }, ok: [200, 404], timeoutMs: opts.timeoutMs });
    return answer.status === 404 ? null : answer.body;
  }

  async copyTo(id: string, dir: string, tar: Buffer, opts: { timeoutMs: number }): Promise<void> {
    // noOverwriteDirNonDir: a directory in the archive never replaces a file there, nor the reverse.
    await this.client.answer({ method: "PUT", path: `/containers/${enc(id)}/archive?`, query: { path: dir, noOverwriteDirNonDir: true }, body: tar, ok: [200], timeoutMs: opts.timeoutMs });
  }

  /**
   * Streams container events until `signal` aborts (resolves) or the connection drops (rejects
   * with a TransientError). Lines that do not parse are skipped.
   */
  async events(onEvent: (e: ContainerEvent) => void, signal: AbortSignal, onImageEvent?: (action: string) => void): Promise<void> {
    const types = onImageEvent ? ["container", "image"] : ["container"];
    const stream = await this.client.stream("/events?", { filters: { type: types } }, signal);
    await new Promise<void>((resolve, reject) => {
      let buf = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        buf += chunk;
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
          if (!line) continue;
          let json: unknown;
          try {
            json = JSON.parse(line);
          } catch {
            continue;
          }
          const parsed = eventSchema.safeParse(json);
          if (parsed.success && parsed.data.Type === "image") {
            onImageEvent?.(parsed.data.Action ?? parsed.data.status ?? "");
            continue;
          }
          const ev = parsed.success ? toContainerEvent(parsed.data) : null;
          if (ev) onEvent(ev);
        }
      });
      const finish = (err?: Error) => {
        if (signal.aborted) resolve();
        else if (err) reject(new EngineError(`docker engine at ${this.client.target}: event stream failed: ${err.message}`, null, { cause: err }));
        else reject(new EngineError(`docker engine at ${this.client.target}: event stream ended`, null));
      };
      stream.on("error", (e: Error) => finish(e));
      stream.on("end", () => finish());
      stream.on("close", () => finish());
    });
  }

  private async inspectBody(idOrName: string): Promise<InspectBody | null> {
    try {
      return await this.client.json({ method: "GET", path: `/containers/${enc(idOrName)}/json` }, inspectSchema);
    } catch (e) {
      if (e instanceof EngineError && e.statusCode === 404) return null;
      throw e;
    }
  }

  private toInfo(body: InspectBody, entry?: ListEntry): ContainerInfo {
    const info = toContainerInfo(body, entry);
    if (!info) {
      throw new EngineError(`docker engine at ${this.client.target}: container ${body.Id.slice(0, 12)} has an unknown state "${entry?.State ?? body.State.Status ?? ""}"`, null);
    }
    return info;
  }
}

/** Go's os.FileMode bits in the Engine's path stat. */
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;

/** X-Docker-Container-Path-Stat: base64 of {"name","size","mode","mtime","linkTarget"}. */
function parsePathStat(header: string | string[] | undefined): PathStat {
  const text = Array.isArray(header) ? header[0] : header;
  let raw: { size?: unknown; mode?: unknown } = {};
  try {
    raw = JSON.parse(Buffer.from(text ?? "", "base64").toString("utf8")) as typeof raw;
  } catch {
    throw new EngineError("docker engine: archive HEAD answered without a readable path stat", null);
  }
  const mode = typeof raw.mode === "number" ? raw.mode : 0;
  return { isDir: Math.floor(mode / GO_MODE_DIR) % 2 === 1, isSymlink: Math.floor(mode / GO_MODE_SYMLINK) % 2 === 1, size: typeof raw.size === "number" ? raw.size : 0 };
}
