/** Where the package's own files (queries/, fixtures/, migrations) are, from source or from dist/. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('auditlake: cannot find its package root');
    dir = up;
  }
  return dir;
}

export const packageRoot = findPackageRoot();
export const migrationsDir = join(packageRoot, 'src', 'store', 'migrations');
export const queriesDir = join(packageRoot, 'queries');
export const fixturesDir = join(packageRoot, 'fixtures');
