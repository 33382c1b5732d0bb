/**
 * Docker (and Podman) pins: the digest when the reference has one, else a warning. Tags are
 * mutable and digests are not; resolving a tag to its digest needs
 * the registry (`docker buildx imagetools inspect`), which mcpm leaves to the user.
 */
import type { PackagePin } from '../../core/lockfile.js';
import { unpinnedReason, type PackageSpec } from '../../core/package-spec.js';

export function pinDocker(spec: PackageSpec): { pin: PackagePin; warning?: string } {
  const pin: PackagePin = { manager: 'docker', name: spec.name };
  // The tag as written, for readers; the digest is what fixes the code.
  if (spec.spec !== undefined) pin.version = spec.spec;
  if (spec.exact && spec.digest !== undefined) pin.integrity = spec.digest;
  const warning = unpinnedReason(spec);
  if (warning === undefined) return { pin };
  const ref = `${spec.name}${spec.spec === undefined ? '' : `:${spec.spec}`}`;
  return { pin, warning: `${warning}; find it with "docker buildx imagetools inspect ${ref}" and write ${spec.name}@sha256:… in the config` };
}
