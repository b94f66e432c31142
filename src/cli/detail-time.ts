import { isoTime } from "../util/clock.js";

// Detail keys that hold epoch milliseconds (`until`, `*_at`, `since`): shown as times to people.
const TIME_KEY = /^(until|since|at|expires|deadline)$|_(at|until|since)$/;
// 2001 … 2286: numbers outside this are not epoch milliseconds whatever the key says.
const PLAUSIBLE = (v: number) => Number.isInteger(v) && v >= 1e12 && v < 1e13;

/** A detail value as a person reads it: epoch milliseconds under a time key become ISO-8601 times. */
export function detailForHumans(key: string, value: unknown): unknown {
  return typeof value === "number" && TIME_KEY.test(key) && PLAUSIBLE(value) ? isoTime(value).replace(/\.000Z$/, "Z") : value;
}
