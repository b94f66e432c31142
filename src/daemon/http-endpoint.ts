// The daemon's HTTP side: GET /metrics (Prometheus text format) and GET /healthz (JSON, 200 ok or
// 503 degraded). Nothing else; every request has a deadline.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../util/log.js";
import type { HealthReport } from "./health.js";
import type { ListenAddress } from "./listen-address.js";

export interface HttpHandlers {
  metrics(): Promise<{ contentType: string; body: string }>;
  health(): HealthReport;
}

export class HttpEndpoint {
  private server: Server | null = null;

  constructor(
    private readonly address: ListenAddress,
    private readonly handlers: HttpHandlers,
    private readonly log: Logger,
  ) {}

  /** Listens; resolves with the address actually bound (port 0 → the port the kernel chose). */
  start(): Promise<ListenAddress> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    server.keepAliveTimeout = 5_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.address.port, this.address.host, () => {
        server.off("error", reject);
        server.on("error", (e) => this.log.error({ error: String(e) }, "http server error"));
        const a = server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  /** Stops listening and drops open connections (scrapes in flight are cut). */
  stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    try {
      if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed\n", { Allow: "GET, HEAD" });
      if (path === "/metrics") {
        const m = await this.handlers.metrics();
        return send(res, 200, m.contentType, m.body);
      }
      if (path === "/healthz") {
        const h = this.handlers.health();
        return send(res, h.status === "ok" ? 200 : 503, "application/json", JSON.stringify(h) + "\n");
      }
      return send(res, 404, "text/plain", "not found: try /metrics or /healthz\n");
    } catch (e) {
      this.log.error({ path, error: String(e) }, "http request failed");
      if (!res.headersSent) send(res, 500, "text/plain", "internal error\n");
      else res.destroy();
    }
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store", ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
