// What a caller asks for.

export interface AllocationRequest {
  user: string;
  /** The container the slots are for. */
  container: string;
  /** Number of slots (1 with `--mig`). */
  count: number;
  /** Only MIG devices of this profile (e.g. "1g.10gb"); null = any slot. */
  profile: string | null;
  /** Full GPUs before MIG devices (only when the user may have full GPUs). */
  preferFull: boolean;
  /** Exactly these devices (UUIDs, GPU indexes, "gpu:mig"), `count` of them; absent = any free slots. */
  pinned?: readonly string[];
}
