// Container creation for `ds01 create`, on the Engine API client of this adapter (deadlines, typed errors).
import { EngineClient, EngineError, type EngineClientOptions } from "./engine-client.js";

export interface CreateBody {
  Image: string;
  Cmd?: string[];
  Labels: Record<string, string>;
  HostConfig: Record<string, unknown>;
}

export interface ContainerCreator {
  /** POST /containers/create; returns the new container's id. Throws EngineError (404: no such image, 409: name in use). */
  create(name: string, body: CreateBody): Promise<string>;
  start(id: string): Promise<void>;
  /** Force-removes a container ds01 just created (creation rolled back). Gone already is fine. */
  remove(id: string): Promise<void>;
}

const enc = encodeURIComponent;

export function containerCreator(opts: EngineClientOptions & { client?: EngineClient } = {}): ContainerCreator {
  const client = opts.client ?? new EngineClient(opts);
  return {
    async create(name, body) {
      const res = (await client.request({ method: "POST", path: "/containers/create?", query: { name }, body, ok: [201] })) as { Id?: unknown } | null;
      if (!res || typeof res.Id !== "string") throw new EngineError(`docker engine at ${client.target}: create ${name} returned no container id`, null);
      return res.Id;
    },
    async start(id) {
      await client.request({ method: "POST", path: `/containers/${enc(id)}/start`, ok: [204, 304] });
    },
    async remove(id) {
      try {
        await client.request({ method: "DELETE", path: `/containers/${enc(id)}?`, query: { force: true, v: true }, ok: [204] });
      } catch (e) {
        if (e instanceof EngineError && e.statusCode === 404) return;
        throw e;
      }
    },
  };
}
