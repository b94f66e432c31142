// GPU-equivalent weight of a MIG device from its profile name.
//   "2g.20gb" on a 7-slice GPU → 2/7;   "1c.3g.71gb" (compute instance) → 1/7 (its compute slices);
//   "1g.10gb+me" → 1/7;   unparseable or impossible → null (never 0: unknown is not free).

/** Compute slices of a whole GPU in MIG mode, by model. A30 has 4; A100/H100/H200/B200 have 7. */
const SLICES_BY_MODEL: readonly (readonly [RegExp, number])[] = [
  [/\bA30\b/i, 4],
  [/\b(A100|A800|H100|H800|H200|H20|GH200|B200|GB200|B100)\b/i, 7],
];

export const DEFAULT_MIG_SLICES = 7;

/** Slices of the GPU named `gpuName` (e.g. "NVIDIA A30" → 4); the default 7 when not known. */
export function migSliceCount(gpuName: string | null | undefined): number {
  if (gpuName) for (const [re, n] of SLICES_BY_MODEL) if (re.test(gpuName)) return n;
  return DEFAULT_MIG_SLICES;
}

const PROFILE = /^(?:(\d+)c\.)?(\d+)g\.\d+(?:\.\d+)?gb(?:\+[a-z0-9]+)*$/i;

export interface MigProfileSlices {
  /** The GPU instance's slices (`3g` → 3). */
  gpuSlices: number;
  /** The compute slices this device runs on: `Nc` for a compute-instance profile, else gpuSlices. */
  computeSlices: number;
}

/** `3g.40gb` → 3/3, `1c.3g.71gb` → 3/1; null when unparseable. */
export function parseMigProfile(profile: string | null | undefined): MigProfileSlices | null {
  const m = profile ? PROFILE.exec(profile.trim()) : null;
  if (!m) return null;
  const gpuSlices = Number(m[2]);
  const computeSlices = m[1] === undefined ? gpuSlices : Number(m[1]);
  if (gpuSlices < 1 || computeSlices < 1 || computeSlices > gpuSlices) return null;
  return { gpuSlices, computeSlices };
}

/** `profile`'s share of its parent GPU, or null when the profile is unknown or exceeds the GPU. */
export function migGpuEquivalent(profile: string | null | undefined, slices: number = DEFAULT_MIG_SLICES): number | null {
  const p = parseMigProfile(profile);
  if (p === null || !Number.isInteger(slices) || slices < 1 || p.gpuSlices > slices) return null;
  return p.computeSlices / slices;
}
