// The project's folder, for tests that read its sources and manifest. Tests run bundled from
// out/test/…, so __dirname is not the source folder: walk up to the package.json beside src/host.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'src', 'host'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('project root not found');
    dir = up;
  }
  return dir;
}
