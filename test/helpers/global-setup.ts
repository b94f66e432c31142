import { removeLeftoverTestContainers } from "./docker-env.js";

// Runs once before the suite: clears containers that an earlier, interrupted run of *this test
// suite* left behind (only those carrying the test-run label; nothing else is touched).
export default async function setup(): Promise<void> {
  await removeLeftoverTestContainers();
}
