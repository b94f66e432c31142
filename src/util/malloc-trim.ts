// Gives the C heap's free pages back to the system. glibc's free() returns memory only from the
// top of its heap; after a burst (200 concurrent listings of a 1,000-container engine: the answers'
// buffers) the gate's heap stayed ~60 MB larger with almost all of it free, since a few live
// allocations above keep it from shrinking. malloc_trim(0) also releases the whole free pages
// inside it (measured: 131 → 69 MB RSS, ~50 ms). Through koffi, which the gate loads anyway for
// SO_PEERCRED; where there is no malloc_trim (not glibc), this does nothing.
import { libc } from "./libc.js";

type Trim = (pad: number) => number;
let trim: Trim | null | undefined;
type MallInfo2 = () => { fordblks: number | bigint };
let mallinfo2: MallInfo2 | null | undefined;

function load(): Trim | null {
  if (trim !== undefined) return trim;
  try {
    trim = libc().libc.func("int malloc_trim(size_t pad)") as Trim;
  } catch {
    trim = null;
  }
  return trim;
}

/**
 * Bytes the C heap holds free (glibc's mallinfo2 `fordblks`, over every arena), by glibc's count:
 * pages a trim handed back still count as free. null where glibc does not say (not glibc, or
 * older than 2.33).
 */
export function mallocFreeBytes(): number | null {
  if (mallinfo2 === undefined) {
    try {
      const { koffi, libc: c } = libc();
      const sizeT = "size_t";
      koffi.struct("ds01_mallinfo2", { arena: sizeT, ordblks: sizeT, smblks: sizeT, hblks: sizeT, hblkhd: sizeT, usmblks: sizeT, fsmblks: sizeT, uordblks: sizeT, fordblks: sizeT, keepcost: sizeT });
      mallinfo2 = c.func("ds01_mallinfo2 mallinfo2()") as MallInfo2;
    } catch {
      mallinfo2 = null;
    }
  }
  return mallinfo2 ? Number(mallinfo2().fordblks) : null;
}

/** Releases the C heap's free memory; false where that is not possible here. */
export function mallocTrim(): boolean {
  const f = load();
  if (f === null) return false;
  f(0);
  return true;
}

/**
 * Every `everyMs`, trims when the C heap has `growthBytes` more free than at its lowest seen since
 * the last trim (glibc says how much it holds free: mallinfo2). A trim hands free pages back but they
 * stay counted as free, so the count alone cannot say what is resident; what was freed since the
 * lowest point was in use, so resident. Memory a burst left behind thus goes back once the
 * JavaScript objects that held it are collected, however high the resident set was during the
 * burst. It also trims (and alone, where the heap's free bytes are not known) when the resident set
 * is `growthBytes` above its floor: the lowest RSS a trim left, or the RSS a trim that released
 * little left (that growth is live memory, not free heap); the free count is read only at each
 * check, so memory freed and reused in between is seen this way. A quiet process costs one reading
 * per check. The timer does not keep the process alive.
 */
export function trimAfterGrowth(opts: { everyMs: number; growthBytes: number; rss?: () => number; trim?: () => boolean; freeBytes?: () => number | null }): { stop(): void } {
  const rss = opts.rss ?? (() => process.memoryUsage.rss());
  const trimNow = opts.trim ?? mallocTrim;
  const freeBytes = opts.freeBytes ?? mallocFreeBytes;
  let floor = rss();
  let freeLow = freeBytes();
  const timer = setInterval(() => {
    const free = freeBytes();
    const before = rss();
    if (free !== null && freeLow !== null) freeLow = Math.min(freeLow, free);
    const freed = free !== null && freeLow !== null && free - freeLow >= opts.growthBytes;
    if (!freed && before - floor < opts.growthBytes) return;
    if (!trimNow()) return clearInterval(timer);
    const after = rss();
    if (after < floor || before - after < opts.growthBytes / 8) floor = after;
    freeLow = freeBytes();
  }, opts.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
