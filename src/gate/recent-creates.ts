// Containers the gate created lately, per user, counted for max_containers_per_user until any
// listing is sure to show them. A create leaves "in flight" the moment dockerd answers; a listing
// dockerd began a moment before that may not show it yet, and a count from it alone would let a
// burst of concurrent creates through. Counted by id together with the listing, so never twice.
/** Well beyond any listing's time (bounded by the engine call's deadline). */
export const RECENT_CREATE_MS = 60_000;

export class RecentCreates {
  private readonly byId = new Map<string, { user: string; at: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly keepMs = RECENT_CREATE_MS,
  ) {}

  add(user: string, id: string): void {
    this.byId.set(id, { user, at: this.now() });
  }

  /** Docker removed it (an event, or a removal through the gate). */
  remove(id: string): void {
    this.byId.delete(id);
  }

  /** Ids of `user`'s containers created in the last keepMs (older ones are dropped). */
  of(user: string): string[] {
    const now = this.now();
    const out: string[] = [];
    for (const [id, c] of this.byId) {
      if (now - c.at >= this.keepMs) this.byId.delete(id);
      else if (c.user === user) out.push(id);
    }
    return out;
  }
}
