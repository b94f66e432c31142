// Restricts what ds01 sees to containers carrying one label (`DS01_SCOPE_LABEL=key=value`, or just
// `key`). For staging a rollout on a busy server, and for tests that share a Docker engine: a
// container outside the scope is never listed, so it is never judged or touched.
import type { ContainerInfo } from "../model/container.js";
import type { ContainerRuntime } from "../model/ports.js";

export interface LabelScope {
  key: string;
  value: string | null;
}

export function parseScope(text: string | undefined): LabelScope | null {
  if (!text) return null;
  const i = text.indexOf("=");
  return i < 0 ? { key: text, value: null } : { key: text.slice(0, i), value: text.slice(i + 1) };
}

export function inScope(c: Pick<ContainerInfo, "labels">, scope: LabelScope): boolean {
  const v = c.labels[scope.key];
  return v !== undefined && (scope.value === null || v === scope.value);
}

export function scopedRuntime(rt: ContainerRuntime, scope: LabelScope | null): ContainerRuntime {
  if (!scope) return rt;
  return {
    // The engine filters by the same rule (key=value, or the key alone), so the containers of
    // others are neither sent nor inspected; inScope stays as the rule itself.
    list: async () => (await rt.list({ label: [scope.value === null ? scope.key : `${scope.key}=${scope.value}`] })).filter((c) => inScope(c, scope)),
    // Unfiltered on purpose: guards must see a container's true state (a process in a running
    // container outside the scope is still never an orphan).
    inspect: (id) => rt.inspect(id),
    stop: (id, grace) => rt.stop(id, grace),
    remove: (id) => rt.remove(id),
    stats: (id) => rt.stats(id),
    exec: (id, cmd, opts) => rt.exec(id, cmd, opts),
    statPath: (id, path, opts) => rt.statPath(id, path, opts),
    copyFrom: (id, path, opts) => rt.copyFrom(id, path, opts),
    copyTo: (id, dir, tar, opts) => rt.copyTo(id, dir, tar, opts),
    events: (onEvent, signal, onImageEvent) => rt.events((e) => (inScope(e, scope) ? onEvent(e) : undefined), signal, onImageEvent),
  };
}
