/**
 * PyPI pins record what the launch line says and ask no registry: `uvx pkg@1.2.3` and
 * `--from 'pkg==1.2.3'` name an exact release, and PyPI never lets a file be re-uploaded under a
 * released version. File hashes would need the PyPI JSON API, which
 * this build does not call; uv resolves the project's dependencies fresh at each launch anyway.
 */
import type { PackagePin } from '../../core/lockfile.js';
import { unpinnedReason, type PackageSpec } from '../../core/package-spec.js';

export function pinPypi(spec: PackageSpec): { pin: PackagePin; warning?: string } {
  const pin: PackagePin = { manager: 'pypi', name: spec.name };
  if (spec.exact && spec.spec !== undefined) pin.version = spec.spec;
  const warning = unpinnedReason(spec);
  return warning === undefined ? { pin } : { pin, warning };
}
