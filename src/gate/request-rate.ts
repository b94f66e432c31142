// One user's share of the gate: the gate is one process answering everyone, so a script that asks
// in a tight loop (`while true; do docker inspect c; done`, or a hundred of them) would slow every
// other user's Docker. Each non-admin user's requests are held to gate.max_requests_per_s with a
// token bucket (bursts up to twice the rate pass at once, as `docker compose up` sends them); a
// request over it waits for its turn, up to MAX_WAIT_MS, and one that would wait longer is answered
// 429 at once, so waiting requests never pile up. Ordinary clients never meet it.

/** The longest a request waits for its turn; past that it is refused instead. */
export const MAX_WAIT_MS = 1000;
/** Users kept beyond this many are forgotten once their bucket is full again (it would be anyway). */
const MAX_USERS = 4096;

interface Bucket {
  tokens: number;
  at: number;
}

export class RequestRate {
  private readonly buckets = new Map<number, Bucket>();

  constructor(
    /** Requests per second (0: no limit); read at each request, so a reload applies at once. */
    private readonly perSecond: () => number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** How long (ms) this request waits for its turn: 0 = now; null = it would wait too long: refuse. */
  take(uid: number): number | null {
    const rate = this.perSecond();
    if (rate <= 0) return 0;
    const now = this.now();
    const burst = Math.max(1, 2 * rate);
    let b = this.buckets.get(uid);
    if (!b) {
      if (this.buckets.size >= MAX_USERS) this.forgetFull(now, rate, burst);
      b = { tokens: burst, at: now };
      this.buckets.set(uid, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) * rate) / 1000);
    b.at = now;
    // Below zero: turns already promised to requests that wait.
    const wait = b.tokens >= 1 ? 0 : ((1 - b.tokens) * 1000) / rate;
    if (wait > MAX_WAIT_MS) return null;
    b.tokens -= 1;
    return wait;
  }

  private forgetFull(now: number, rate: number, burst: number): void {
    for (const [uid, b] of this.buckets) if (b.tokens + ((now - b.at) * rate) / 1000 >= burst) this.buckets.delete(uid);
  }

  /** Users with a bucket now (tests). */
  get size(): number {
    return this.buckets.size;
  }
}
