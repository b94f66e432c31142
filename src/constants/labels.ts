// Every container label ds01 reads or writes, in one place (ours, the original DS01's, and foreign ones).
export const LABEL = {
  user: "ds01.user",
  userSanitized: "ds01.user.sanitized",
  managed: "ds01.managed",
  containerType: "ds01.container_type",
  interface: "ds01.interface",
  createdAt: "ds01.created_at",
  gpuUuid: "ds01.gpu.uuid",
  gpuUuids: "ds01.gpu.uuids",
  gpuAllocated: "ds01.gpu.allocated",
  gpuAllocatedAt: "ds01.gpu.allocated_at",
  gpuSlot: "ds01.gpu_slot", // deprecated wrapper label, still read
  monitoring: "ds01.monitoring",
  protected: "ds01.protected",
  legacyUser: "aime.mlc.USER",
  legacyManaged: "aime.mlc.DS01_MANAGED",
  devcontainerLocalFolder: "devcontainer.local_folder",
  devcontainerMetadata: "devcontainer.metadata",
  composeProject: "com.docker.compose.project",
  composeService: "com.docker.compose.service",
  composeWorkingDir: "com.docker.compose.project.working_dir",
  /** Set by the test harness on every container it creates, so tests only touch their own. */
  testRun: "ds01.test.run",
} as const;

/** `<name>._.<user>`: the original's naming pattern for ds01-managed containers. */
export const OWNER_NAME_SEPARATOR = "._.";
