// Logs with fixed messages on stderr: one JSON object a line for journald and files, a plain line
// for a person at a terminal.

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export type LogFormat = "human" | "json";

/** DS01_LOG_FORMAT (set by --log-format) when valid, else human on a terminal, JSON otherwise. */
export function logFormatFor(env: NodeJS.ProcessEnv, isTty = process.stderr.isTTY === true): LogFormat {
  const f = env.DS01_LOG_FORMAT;
  return f === "human" || f === "json" ? f : isTty ? "human" : "json";
}

/** `ds01: warn: docker list failed (error: …)`. */
export function humanLine(level: LogLevel, msg: string, fields: Record<string, unknown>): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  return `ds01: ${level}: ${msg}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

export function createLogger(opts: { level?: LogLevel; format?: LogFormat; write?: (line: string) => void } = {}): Logger {
  const min = ORDER[opts.level ?? ((process.env.DS01_LOG_LEVEL as LogLevel | undefined) ?? "info")] ?? ORDER.info;
  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const format = opts.format ?? logFormatFor(process.env);
  const emit = (level: LogLevel, fields: Record<string, unknown>, msg: string) => {
    if (ORDER[level] < min) return;
    write(format === "human" ? humanLine(level, msg, fields) : JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
  };
  return {
    debug: (f, m) => emit("debug", f, m),
    info: (f, m) => emit("info", f, m),
    warn: (f, m) => emit("warn", f, m),
    error: (f, m) => emit("error", f, m),
  };
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
