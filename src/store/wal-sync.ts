// Commits made durable just after they return instead of inside them. With synchronous=NORMAL a
// WAL-mode commit is in the write-ahead log (the kernel's page cache) when it returns: another
// connection reads it, and a crash of the process loses nothing. Only the fsync that puts it on
// the disk itself is left out; this does it off the caller's path, in libuv's thread pool, right
// after each commit: one fsync at a time, and commits made during one are covered by the next.
// For the gate, whose commits sit on a client's answer (a create's owner record): a power cut can
// lose what was committed in the last milliseconds, never what was synced, and never the file.
import { open } from "node:fs/promises";

export class WalSync {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly walPath: string,
    private readonly onError: (e: unknown) => void,
    /** How a file is synced (tests count the calls). */
    private readonly syncFile: (path: string) => Promise<void> = fsyncFile,
  ) {}

  /** A commit just returned: the log is synced soon. */
  soon(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run();
  }

  /** Resolves once every commit made before this call is synced (or its sync failed). */
  async flushed(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.syncFile(this.walPath);
      } catch (e) {
        // No log (the last connection closed and checkpointed it away): nothing left to sync.
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") this.onError(e);
      }
    } while (this.again);
    this.running = null;
  }
}

async function fsyncFile(path: string): Promise<void> {
  const f = await open(path, "r");
  try {
    await f.sync();
  } finally {
    await f.close();
  }
}
