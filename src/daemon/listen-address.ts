// `--listen HOST:PORT` (config daemon.listen): "127.0.0.1:9101", "[::1]:9101", ":9101" (all
// interfaces), port 0 = any free port.
import { InvalidInputError } from "../errors.js";

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(text: string): ListenAddress {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]*):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new InvalidInputError(`--listen: expected HOST:PORT (e.g. 127.0.0.1:9101), got ${JSON.stringify(text)}`);
  const rawHost = m[1]!;
  const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost === "" ? "0.0.0.0" : rawHost;
  return { host, port };
}

export function formatListenAddress(a: ListenAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
