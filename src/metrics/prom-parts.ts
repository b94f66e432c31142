// prom-client's registry and metric classes, without its index: the index also loads the
// Pushgateway (https, tls), the cluster aggregator (cluster), default process metrics (perf_hooks,
// v8) and OpenTelemetry, none of which the daemon uses. Measured on Node 20: the whole package adds
// ~12.5 MB to a process's resident memory, these four files ~0.7 MB.
// The files are prom-client's own (CommonJS, no "exports" map), pinned by package-lock.json.
import { createRequire } from "node:module";
import type * as Prom from "prom-client";

const load = createRequire(import.meta.url);

export const Registry = load("prom-client/lib/registry") as typeof Prom.Registry;
export const Counter = load("prom-client/lib/counter") as typeof Prom.Counter;
export const Gauge = load("prom-client/lib/gauge") as typeof Prom.Gauge;
export const Histogram = load("prom-client/lib/histogram") as typeof Prom.Histogram;
export type Registry = Prom.Registry;
export type Counter<T extends string = string> = Prom.Counter<T>;
export type Gauge<T extends string = string> = Prom.Gauge<T>;
export type Histogram<T extends string = string> = Prom.Histogram<T>;
