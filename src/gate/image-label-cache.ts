// The labels of the images creates name, kept between creates: reading them from dockerd is an
// engine round trip on every create's path (the slowest step of its admission). A name can come to
// mean another image at any time (a tag, a pull, a load, a build), so an entry is only used while
// nothing can have changed that:
//   - dockerd's image events are being followed (each one empties the cache; while the stream is
//     down nothing is kept), which covers changes made beside the gate (root on the engine socket);
//   - no request that may change images is going through the gate (tag, pull, load, import, build
//     and its BuildKit sessions, commit, removal, prune, admin endpoints): while one is, every
//     create reads afresh, and its end (plus a grace for dockerd's own follow-up) empties the cache;
//   - a read that began before any such change is not kept.
// What the labels decide is which of an image's claims (ds01.protected, …) a create blanks; a
// non-admin's container is judged by the gate's owner record in any case, so this is a second wall.
import type { Clock } from "../util/clock.js";

export type Labels = Readonly<Record<string, string>>;

export interface ImageLabelCacheOptions {
  /** The image's labels from dockerd; null = no such image (or unreadable): not kept. */
  read(ref: string): Promise<Labels | null>;
  clock: Clock;
  /** Oldest entry used (a bound on anything missed). */
  maxAgeMs?: number;
  maxEntries?: number;
  /** How long after an image-changing request ends the cache stays off (dockerd finishing up). */
  graceMs?: number;
  /** Timer for the grace (tests pass their own). */
  later?: (fn: () => void, ms: number) => void;
}

const EMPTY: Labels = Object.freeze({});

export class ImageLabelCache {
  private readonly entries = new Map<string, { labels: Labels; at: number }>();
  private generation = 0;
  private changing = 0;
  private watched = false;
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private readonly graceMs: number;
  private readonly later: (fn: () => void, ms: number) => void;

  constructor(private readonly opts: ImageLabelCacheOptions) {
    this.maxAgeMs = opts.maxAgeMs ?? 30_000;
    this.maxEntries = opts.maxEntries ?? 256;
    this.graceMs = opts.graceMs ?? 1_000;
    this.later = opts.later ?? ((fn, ms) => setTimeout(fn, ms).unref());
  }

  /** The image's labels ({} when there is no such image), from the cache when it may be trusted. */
  async labels(ref: string): Promise<Labels> {
    const now = this.opts.clock.now();
    const hit = this.usable() ? this.entries.get(ref) : undefined;
    if (hit && now - hit.at < this.maxAgeMs) return hit.labels;
    const generation = this.generation;
    const keep = this.usable();
    const labels = await this.opts.read(ref);
    if (labels === null) return EMPTY;
    const frozen = Object.freeze({ ...labels });
    if (keep && this.usable() && generation === this.generation) {
      this.entries.delete(ref);
      this.entries.set(ref, { labels: frozen, at: now });
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return frozen;
  }

  /** dockerd reported an image event (or its stream went up or down): nothing kept is trusted. */
  changed(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Whether dockerd's image events are being followed. */
  watching(up: boolean): void {
    this.watched = up;
    this.changed();
  }

  /** A request that may change images is being forwarded: the cache is off until `end` (+ grace). */
  begin(): () => void {
    this.changing++;
    this.changed();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.changed();
      this.later(() => {
        this.changing--;
        this.changed();
      }, this.graceMs);
    };
  }

  get size(): number {
    return this.entries.size;
  }

  private usable(): boolean {
    return this.watched && this.changing === 0;
  }
}
