// The installed package's folder (the one holding package.json), found from the running code: the compiled
// module is dist/src/package-root.js, the shipped bundle dist/gatehouse.mjs, so the depth differs and the
// folder is looked for upwards. Files shipped beside the code (the account pages, package.json) are found
// from here.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 8; up++) {
    if (existsSync(path.join(dir, 'package.json'))) return (root = dir);
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the package root (package.json) above the running module');
}
