// A strict, total parser for `Authorization: Basic ...`: every malformed header is a plain "no", never a
// throw. Both dialects may use it; it knows nothing of what the two halves mean.

import { isAscii } from 'node:buffer';

export type BasicResult = { kind: 'absent' } | { kind: 'malformed' } | { kind: 'ok'; user: string; password: string };

const MAX_HEADER = 4096;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// ignoreBOM: a leading U+FEFF is part of the user name, not a marker to drop.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const ABSENT: BasicResult = Object.freeze({ kind: 'absent' });
const MALFORMED: BasicResult = Object.freeze({ kind: 'malformed' });
const SPACE = 0x20;

/** `Basic`, in any case, one or more spaces, the base64 credentials, optional trailing spaces. */
export function parseBasic(header: string | string[] | undefined): BasicResult {
  if (header === undefined) return ABSENT;
  if (Array.isArray(header) || header.length > MAX_HEADER) return MALFORMED;
  // By hand rather than by a regular expression: this runs on every Basic-authenticated request (issue 9).
  if (header.length < 7 || header.charCodeAt(5) !== SPACE || header.slice(0, 5).toLowerCase() !== 'basic') return MALFORMED;
  let start = 6;
  while (start < header.length && header.charCodeAt(start) === SPACE) start++;
  let end = header.length;
  while (end > start && header.charCodeAt(end - 1) === SPACE) end--;
  const encoded = header.slice(start, end);
  if (encoded.length === 0 || !BASE64.test(encoded) || encoded.length % 4 === 1) return MALFORMED;
  const bytes = Buffer.from(encoded, 'base64');
  let decoded: string;
  if (isAscii(bytes)) decoded = bytes.toString('latin1');
  else {
    try {
      decoded = utf8.decode(bytes);
    } catch {
      return MALFORMED;
    }
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1 || CONTROL.test(decoded)) return MALFORMED;
  return { kind: 'ok', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
