// The file operations the cgroup code needs, as a port: the adapter (node-cgroup-fs.ts) works on
// /sys/fs/cgroup and on a fixture tree in a temporary directory alike.

export interface CgroupFs {
  /** The file's text, or null when it does not exist. */
  read(path: string): Promise<string | null>;
  /** Writes the whole value (cgroup files take one write each). */
  write(path: string, value: string): Promise<void>;
  /** Creates the directory and its missing parents. */
  mkdirp(path: string): Promise<void>;
  /** Removes an (empty) directory; one already gone is not an error. */
  rmdir(path: string): Promise<void>;
  /** Removes a file; one already gone is not an error. */
  unlink(path: string): Promise<void>;
  /** Names of the subdirectories (not symlinks), or null when `path` is not a directory. */
  subdirs(path: string): Promise<string[] | null>;
  /** Names of the plain files in a directory ([] when it does not exist). */
  files(path: string): Promise<string[]>;
  /** Last modification (a child cgroup added or removed), epoch ms; null when missing. */
  mtimeMs(path: string): Promise<number | null>;
  /** Sets the modification time to `at` (best effort). */
  touch(path: string, at: number): Promise<void>;
}
