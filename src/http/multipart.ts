// Form bodies for dialects that take them: multipart/form-data (parsed with busboy from the body Fastify has
// already read within its size limit) and application/x-www-form-urlencoded. Both give a flat object of
// strings; files, duplicate fields and oversized fields or part counts are refused with a 4xx error.
import { createRequire } from 'node:module';
import type busboy from 'busboy';

/** busboy, loaded on the first multipart body (issue 9: start-up does not need it). */
let load: typeof busboy | undefined;
const busboyModule = (): typeof busboy => (load ??= createRequire(import.meta.url)('busboy') as typeof busboy);

export const FORM_LIMITS = { fields: 32, fieldNameSize: 100, fieldSize: 16 * 1024, parts: 32 } as const;

export class BadForm extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
  readonly code = 'GATEHOUSE_BAD_FORM';
}

function put(out: Record<string, string>, name: string, value: string): void {
  if (name === '' || name === '__proto__' || name === 'constructor' || name === 'prototype') throw new BadForm(`Invalid field name: ${name.slice(0, 100)}`);
  if (Object.prototype.hasOwnProperty.call(out, name)) throw new BadForm(`Duplicate field: ${name}`);
  out[name] = value;
}

export function parseMultipart(contentType: string, body: Buffer): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboyModule()({ headers: { 'content-type': contentType }, limits: { ...FORM_LIMITS, fieldSize: FORM_LIMITS.fieldSize + 1, parts: FORM_LIMITS.parts + 1, files: 0 }, defParamCharset: 'utf8' });
    } catch {
      reject(new BadForm('Malformed multipart body: missing or invalid boundary'));
      return;
    }
    const out: Record<string, string> = {};
    let failed: BadForm | undefined;
    const fail = (err: BadForm) => {
      failed ??= err;
    };
    // busboy gives a part with an empty or missing name as an undefined name (its types say string).
    bb.on('field', (name: string | undefined, value, info) => {
      if (name === undefined) return fail(new BadForm('Invalid field name: a field has no name'));
      if (info.nameTruncated || Buffer.byteLength(name) > FORM_LIMITS.fieldNameSize) return fail(new BadForm('Field name is too long', 413));
      if (info.valueTruncated) return fail(new BadForm(`Field ${name.slice(0, 100)} is too large (at most ${FORM_LIMITS.fieldSize} bytes)`, 413));
      try {
        put(out, name, value);
      } catch (err) {
        fail(err as BadForm);
      }
    });
    bb.on('file', (_name, stream) => {
      stream.resume();
      fail(new BadForm('File uploads are not accepted'));
    });
    bb.on('filesLimit', () => fail(new BadForm('File uploads are not accepted')));
    bb.on('fieldsLimit', () => fail(new BadForm(`Too many fields (at most ${FORM_LIMITS.fields})`, 413)));
    // busboy treats reaching a part count or a value size as passing it, so its limits are one more than ours:
    // exactly FORM_LIMITS.parts parts and values of exactly fieldSize bytes are accepted, as in urlencoded.
    bb.on('partsLimit', () => fail(new BadForm(`Too many parts (at most ${FORM_LIMITS.parts})`, 413)));
    bb.on('error', () => reject(failed ?? new BadForm('Malformed multipart body')));
    bb.on('close', () => (failed ? reject(failed) : resolve(out)));
    bb.end(body);
  });
}

export function parseUrlEncoded(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of new URLSearchParams(body)) {
    if (++count > FORM_LIMITS.fields) throw new BadForm(`Too many fields (at most ${FORM_LIMITS.fields})`, 413);
    if (Buffer.byteLength(name) > FORM_LIMITS.fieldNameSize) throw new BadForm('Field name is too long', 413);
    if (Buffer.byteLength(value) > FORM_LIMITS.fieldSize) throw new BadForm(`Field ${name} is too large (at most ${FORM_LIMITS.fieldSize} bytes)`, 413);
    put(out, name, value);
  }
  return out;
}
