// The few Engine API calls the gate makes itself (to learn who owns what before it forwards), on
// dockerd's own socket, each with a deadline.
import { request, type Agent } from "node:http";

export interface EngineReply {
  status: number;
  body: Buffer;
}

export class GateEngine {
  constructor(
    readonly socketPath: string,
    private readonly agent: Agent,
    private readonly timeoutMs = 10_000,
  ) {}

  call(method: string, path: string, body?: unknown): Promise<EngineReply> {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path,
          headers: { Host: "docker", ...(payload ? { "Content-Type": "application/json", "Content-Length": String(payload.length) } : {}) },
          signal: AbortSignal.timeout(this.timeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > 16 * 1024 * 1024) req.destroy(new Error(`the engine's answer to ${method} ${path} is too large`));
            else chunks.push(c);
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload ?? undefined);
    });
  }

  /** GET a JSON object; null on 404; throws on other failures. */
  async getJson(path: string): Promise<Record<string, unknown> | null> {
    const r = await this.call("GET", path);
    if (r.status === 404) return null;
    if (r.status !== 200) throw new Error(`the engine answered ${r.status} to GET ${path}: ${r.body.toString("utf8").slice(0, 200)}`);
    return JSON.parse(r.body.toString("utf8")) as Record<string, unknown>;
  }
}

/** GET /images/{ref}/json (a reference's `/` kept as path separators); null when no such image. */
export function imageJson(engine: GateEngine, ref: string): Promise<Record<string, unknown> | null> {
  return engine.getJson(`/images/${ref.split("/").map(encodeURIComponent).join("/")}/json`);
}

export interface ContainerFacts {
  id: string;
  name: string;
  labels: Record<string, string>;
  /** Host paths of its bind mounts (dockerd mounts them again at every start). */
  bindSources?: string[];
  /** HostConfig.CgroupParent ("" or absent: Docker's default). */
  cgroupParent?: string;
}

export async function inspectContainer(engine: GateEngine, ref: string): Promise<ContainerFacts | null> {
  const j = await engine.getJson(`/containers/${encodeURIComponent(ref)}/json`);
  if (!j) return null;
  const config = (j.Config ?? {}) as { Labels?: Record<string, string> | null };
  const cgroupParent = (j.HostConfig as { CgroupParent?: unknown } | undefined)?.CgroupParent;
  const mounts = (Array.isArray(j.Mounts) ? j.Mounts : []) as { Type?: string; Source?: string }[];
  const bindSources = mounts.filter((m) => m.Type === "bind" && typeof m.Source === "string").map((m) => m.Source!);
  return { id: String(j.Id), name: String(j.Name ?? "").replace(/^\//, ""), labels: config.Labels ?? {}, bindSources, cgroupParent: typeof cgroupParent === "string" ? cgroupParent : "" };
}
