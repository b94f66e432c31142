// Command-line pieces shared by `ds01 create` and `ds01 gpu allocate|release` (pure).
import { InvalidInputError, RefusedError } from "../errors.js";

/** Who the request is for: root may name anyone; anyone else is themselves (no spoofing). */
export function requestUser(caller: { uid: number; userName: string }, given: string | undefined): string {
  if (given === undefined || given === "") {
    if (caller.uid === 0) throw new InvalidInputError("--user is required when running as root");
    return caller.userName;
  }
  if (caller.uid !== 0 && given !== caller.userName) {
    throw new RefusedError(`only root may act for another user (you are ${caller.userName}, asked for ${given})`);
  }
  return checkUserName(given, "--user");
}

/** A POSIX-style login name (what useradd accepts); `what` names the argument in the error. */
export function checkUserName(name: string, what: string): string {
  if (!/^[a-z_][a-z0-9_.@-]*\$?$/i.test(name) || name.length > 64) throw new InvalidInputError(`${what} ${JSON.stringify(name)}: not a valid user name`);
  return name;
}

export interface GpuAsk {
  count: number;
  profile: string | null;
  preferFull: boolean;
}

/** --gpus N | --mig PROFILE [--prefer-full]; `defaultCount` when neither is given. */
export function gpuAsk(opts: { gpus?: string; mig?: string; "prefer-full"?: boolean }, defaultCount: number): GpuAsk {
  if (opts.gpus !== undefined && opts.mig !== undefined) throw new InvalidInputError("give either --gpus N or --mig PROFILE, not both");
  const preferFull = opts["prefer-full"] === true;
  if (opts.mig !== undefined) {
    if (!/^\d+(c\.\d+)?g\.\d+gb(\+[a-z0-9]+)*$/i.test(opts.mig)) throw new InvalidInputError(`--mig ${opts.mig}: expected a MIG profile like 1g.10gb or 3g.40gb`);
    if (preferFull) throw new InvalidInputError("--prefer-full and --mig exclude each other");
    return { count: 1, profile: opts.mig, preferFull: false };
  }
  if (opts.gpus !== undefined) {
    if (!/^\d+$/.test(opts.gpus.trim())) throw new InvalidInputError(`--gpus ${opts.gpus}: expected a whole number of GPU slots`);
    const n = Number(opts.gpus);
    if (n > 64) throw new InvalidInputError(`--gpus ${n}: too many`);
    return { count: n, profile: null, preferFull };
  }
  return { count: defaultCount, profile: null, preferFull };
}

/** Docker container names: [a-zA-Z0-9][a-zA-Z0-9_.-]* (the `._.` owner suffix is added by ds01 create). */
export function checkContainerName(name: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new InvalidInputError(`container name ${JSON.stringify(name)}: use letters, digits, _ . -`);
  return name;
}

/** KEY=VALUE */
export function parseLabel(text: string): [string, string] {
  const i = text.indexOf("=");
  if (i <= 0) throw new InvalidInputError(`--label ${text}: expected KEY=VALUE`);
  return [text.slice(0, i), text.slice(i + 1)];
}

/**
 * Only root may create infrastructure: a name starting with a configured infrastructure prefix, or
 * the protected label, would otherwise make an ordinary user's container immune to enforcement.
 */
export function checkNotInfrastructure(
  caller: { uid: number; userName: string },
  name: string,
  labels: Readonly<Record<string, string>>,
  monitoring: { infrastructure_containers: readonly string[]; infrastructure_label: string },
): void {
  if (caller.uid === 0) return;
  const prefix = monitoring.infrastructure_containers.find((p) => p !== "" && name.startsWith(p));
  if (prefix !== undefined) {
    throw new RefusedError(`--name ${name}: names starting with the infrastructure prefix "${prefix}" are reserved; only root may create infrastructure containers`);
  }
  if (Object.hasOwn(labels, monitoring.infrastructure_label)) {
    throw new RefusedError(`--label ${monitoring.infrastructure_label}: marks infrastructure; only root may set it`);
  }
}
