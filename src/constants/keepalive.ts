// The keep-alive file's path inside a container when `policies.keepalive_file` is not set.
export const DEFAULT_KEEPALIVE_FILE = "/workspace/.keep-alive";
