// Wider kernel send buffers for the gate's bulk streams (docker cp, export, logs, image save and
// load, build contexts). On a small machine the gate is the third busy process between the client
// and dockerd, and a copy through it is slowed by how often it must wake up and write, more than by
// the copy itself: with the default send buffer (~208 KiB) every few hundred KiB it waits for the
// other side to read. Measured on 2 cores, 200 MB copies as a non-admin, the gate in its own CPU
// group, the two gates' rounds interleaved: with 4 MiB send buffers and 1 MiB reads each copy took
// a median 1.14× (in) and 1.08× (out) the throughput of the same round's default-buffer copy over 16
// rounds; earlier runs of 8–10 rounds gave +6 to +15 points of direct, one of them none for out.
//
// A send buffer is kernel memory, taken only by bytes queued in it, but a client that stops
// reading leaves it full until the stall cut (or for good, for an admin's stream): so at most
// WIDE_STREAMS streams at once get the wide buffers, a bound on what all users together can pin
// (WIDE_STREAMS × 2 × WIDE_SEND_BYTES of kernel memory, 128 MiB, and their read buffers); the rest
// keep the defaults.
import type { Socket } from "node:net";
import { libc } from "../util/libc.js";
import { socketFd } from "./peer-credentials.js";

export const WIDE_SEND_BYTES = 4 * 1024 * 1024;
export const WIDE_STREAMS = 16;

const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_SNDBUFFORCE = 32; // root may go past net.core.wmem_max

type SetSockOpt = (fd: number, level: number, name: number, value: number[], len: number) => number;
let setsockopt: SetSockOpt | null | undefined;

function load(): SetSockOpt | null {
  if (setsockopt !== undefined) return setsockopt;
  try {
    setsockopt = libc().libc.func("int setsockopt(int fd, int level, int name, const int *value, uint32_t len)") as SetSockOpt;
  } catch {
    setsockopt = null;
  }
  return setsockopt;
}

/** Asks for a send buffer of `bytes` (the kernel allows twice that, for its bookkeeping); best effort. */
export function widenSendBuffer(socket: Socket, bytes: number): boolean {
  const f = load();
  if (!f) return false;
  let fd: number;
  try {
    fd = socketFd(socket);
  } catch {
    return false; // closed already
  }
  return f(fd, SOL_SOCKET, SO_SNDBUFFORCE, [bytes], 4) === 0 || f(fd, SOL_SOCKET, SO_SNDBUF, [bytes], 4) === 0;
}

/** How many streams hold wide buffers now; a stream takes a place or is told to stay narrow. */
export class WideStreams {
  private held = 0;

  constructor(private readonly max = WIDE_STREAMS) {}

  /** A place for one stream (its release, once it ends), or null when all are taken. */
  take(): (() => void) | null {
    if (this.held >= this.max) return null;
    this.held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held--;
    };
  }

  get inUse(): number {
    return this.held;
  }
}
