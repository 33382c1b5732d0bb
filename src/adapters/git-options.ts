/**
 * Options for every git that mcpm runs inside a checkout, where a repository's own files may
 * have been put by whoever wrote it. A checkout can commit a directory that git itself takes for a
 * repository when it starts inside it (HEAD, config, objects and refs: a bare repository, found
 * before the real .git above it), and that repository's config can name a program for
 * core.fsmonitor, which git runs while it reads the index. So can an archive's .git/config. Given
 * on the command line, these options win over any repository's config: git runs no fsmonitor
 * program, and takes no bare repository it finds by walking up, only one named with --git-dir.
 */
export const SAFE_GIT_OPTIONS: readonly string[] = ['-c', 'core.fsmonitor=false', '-c', 'safe.bareRepository=explicit'];
