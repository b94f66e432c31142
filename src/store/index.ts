// The store's public surface: import from "../store/index.js".
export { openStore, STORE_FILE, type Store, type OpenStoreOptions, type GpuSample } from "./sqlite-store.js";
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from "./migrations.js";
export { formatJsonlLine, jsonlTimestamp, JSONL_MAX_LINE_BYTES } from "./jsonl-format.js";
export { createJsonlSink, withJsonlMirror, type JsonlSink, type JsonlSinkOptions, type MirrorErrorHandler } from "./jsonl-sink.js";
export { acquirePassLock, PASS_LOCK_FILE, type PassLock, type PassLockHolder, type PassLockResult } from "./pass-lock.js";
export { defaultStateDir, SYSTEM_STATE_DIR, type StateDirContext } from "./state-dir.js";
