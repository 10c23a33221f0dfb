// The second half of `npm run build`: bundles the compiled CLI (dist/src/cli/main.js, which also serves) into
// one file, dist/gatehouse.mjs, the file `npm start` and bin/gatehouse.js run (issue 9: start to first answer).
// Node otherwise resolves, reads and links several hundred files at every start (Fastify, Kysely, TypeBox and
// their dependencies): about a quarter of start-up, its largest single part. The bundle is the same compiled
// code, in one file; esbuild leaves out what nothing imports.
//
// Left out of the bundle, and loaded from node_modules as before:
// - native addons (better-sqlite3, argon2): their compiled parts are found from their own package folders;
// - packages only some deployments load, on first use: the OpenAPI pages (@fastify/swagger-ui also serves the
//   files of its own package folder), the gateway's proxy (@fastify/reply-from and undici), and those the code
//   loads by name at run time through createRequire, which esbuild does not follow (pg, nodemailer, busboy, the
//   common-password list).
import { build } from 'esbuild';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

await build({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile: path.join(root, 'dist', 'gatehouse.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'argon2', '@fastify/swagger', '@fastify/swagger-ui', '@fastify/reply-from'],
  // Bundled CommonJS code requires Node's own modules (and the external packages) through `require`, which an
  // ES module does not have: the bundle makes one for itself.
  banner: { js: "import { createRequire as gatehouseCreateRequire } from 'node:module';\nconst require = gatehouseCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
