// A Docker socket proxy the test controls: a unix socket in a temp dir that forwards every
// connection to the real engine's socket. Closing it (and cutting its connections) looks to the
// daemon exactly like the engine going away; opening it again, like the engine coming back.
// Tests use it instead of restarting the real dockerd, which other test runs share.
import { existsSync, mkdtempSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DockerProxy {
  /** unix:///tmp/.../docker.sock, for DOCKER_HOST. */
  dockerHost: string;
  up(): Promise<void>;
  /** Stops listening and cuts every open connection (the event stream included). */
  down(): Promise<void>;
}

export function dockerProxy(target = "/var/run/docker.sock"): DockerProxy {
  const path = join(mkdtempSync(join(tmpdir(), "ds01-docker-proxy-")), "docker.sock");
  let server: Server | null = null;
  const open = new Set<Socket>();
  return {
    dockerHost: `unix://${path}`,
    up() {
      if (server) return Promise.resolve();
      if (existsSync(path)) unlinkSync(path);
      const s = createServer((client) => {
        const upstream = connect(target);
        open.add(client);
        open.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          open.delete(client);
          open.delete(upstream);
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server = s;
      return new Promise((resolve, reject) => {
        s.once("error", reject);
        s.listen(path, () => resolve());
      });
    },
    down() {
      const s = server;
      server = null;
      for (const sock of open) sock.destroy();
      open.clear();
      if (!s) return Promise.resolve();
      return new Promise((resolve) => s.close(() => resolve()));
    },
  };
}
