// Where the host's /proc and cgroup filesystem are mounted. Injectable so unit tests can point at
// fake trees (cgroup v1 and v2 layouts) and so ds01 can run with the host's /proc bind-mounted elsewhere.
export interface HostPaths {
  procRoot: string;
  cgroupRoot: string;
}

export const DEFAULT_HOST_PATHS: HostPaths = { procRoot: "/proc", cgroupRoot: "/sys/fs/cgroup" };
