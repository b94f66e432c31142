// A Unix socket only root can use: born 0600 (umask set around listen, so no one else can connect
// in the moment between listen and chmod), replacing a file a killed process left behind. The
// callers hold a lock that says no other process of theirs runs, so such a file is stale.
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";

export async function listenRootOnly(path: string, onConnection: (s: Socket) => void): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer(onConnection);
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(path, 0o600);
  return server;
}

/** Closes the server after destroying its connections, and removes the socket file. */
export async function closeRootOnly(server: Server, path: string, sockets: Iterable<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(path, { force: true });
}
