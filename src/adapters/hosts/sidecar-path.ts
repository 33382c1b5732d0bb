/**
 * Where guard keeps a config's originals. Its own module, with no imports, so reading a project's
 * config can look for a sidecar without loading the host formats (start-up of verify --offline).
 */
export const SIDECAR_SUFFIX = '.mcpm-guard.json';

export function sidecarPath(config: string): string {
  return config + SIDECAR_SUFFIX;
}
