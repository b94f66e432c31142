// The broker's socket name in the state directory, apart from its wire schema (zod), so a process
// that only connects to the broker does not load the schema library.
export const BROKER_SOCKET_FILE = "allocation.sock";
