// Who is on the other end of a Unix socket, as the kernel says (SO_PEERCRED). Node does not expose
// it, so getsockopt(2) is called through koffi (an FFI package that ships prebuilt binaries).
// The credentials are those of the process that connect()ed, fixed at connect time: a caller cannot
// change them by forking, passing the fd on, or by anything it sends.
import type { Socket } from "node:net";
import { libc } from "../util/libc.js";

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17; // Linux
const UCRED_SIZE = 12; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }

type GetSockOpt = (fd: number, level: number, name: number, out: Partial<PeerCredentials>, len: number[]) => number;
let getsockopt: GetSockOpt | null = null;

function load(): GetSockOpt {
  if (getsockopt) return getsockopt;
  const { koffi, libc: c } = libc();
  koffi.struct("ds01_ucred", { pid: "int32", uid: "uint32", gid: "uint32" });
  getsockopt = c.func("int getsockopt(int fd, int level, int name, _Out_ ds01_ucred *val, _Inout_ uint32_t *len)") as GetSockOpt;
  return getsockopt;
}

/** The file descriptor behind an accepted Unix socket (libuv's pipe handle keeps it as `fd`). */
function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) throw new Error("the connection has no file descriptor (closed already?)");
  return fd;
}

/** The connecting process's pid/uid/gid. Throws when the kernel does not say (never guesses). */
export function peerCredentials(socket: Socket): PeerCredentials {
  const out: Partial<PeerCredentials> = {};
  const len = [UCRED_SIZE];
  const rc = load()(socketFd(socket), SOL_SOCKET, SO_PEERCRED, out, len);
  if (rc !== 0 || len[0] !== UCRED_SIZE || typeof out.uid !== "number" || typeof out.gid !== "number" || typeof out.pid !== "number") {
    throw new Error(`getsockopt(SO_PEERCRED) failed (rc ${rc})`);
  }
  return { pid: out.pid, uid: out.uid, gid: out.gid };
}
