// What `ds01 install` does, decided without touching the filesystem: the caller reads the sources
// and the targets, this file says what to do with each.

/** A file the package ships, to be installed at `target` (absolute, already under the prefix). */
export interface InstallSource {
  /** Where it comes from (for messages). */
  from: string;
  target: string;
  content: Buffer;
  mode: number;
  /**
   * "package": owned by ds01 and replaced when it differs (the systemd unit; admins customise it
   * with drop-ins in ds01.service.d/). "admin": a starting point the admin edits; never overwritten.
   */
  owner: "package" | "admin";
}

/** What is at the target now: null = nothing; otherwise its bytes (null when it is not a regular file). */
export type TargetState = { exists: false } | { exists: true; content: Buffer | null };

export const STEP_ACTION = ["create", "update", "unchanged", "keep"] as const;
export type StepAction = (typeof STEP_ACTION)[number];

export interface InstallStep {
  action: StepAction;
  source: InstallSource;
  /** Why, for the printed line. */
  note: string;
}

export function planStep(source: InstallSource, target: TargetState): InstallStep {
  if (!target.exists) return { action: "create", source, note: "" };
  if (source.owner === "admin") return { action: "keep", source, note: "exists; an admin's file is never overwritten" };
  if (target.content !== null && target.content.equals(source.content)) return { action: "unchanged", source, note: "" };
  if (target.content === null) return { action: "keep", source, note: "exists and is not a regular file; left alone" };
  return { action: "update", source, note: "differs from the packaged version (customise with a drop-in instead)" };
}

/** Steps that write something. */
export function writesOf(steps: readonly InstallStep[]): InstallStep[] {
  return steps.filter((s) => s.action === "create" || s.action === "update");
}
