// A strict, total parser for `Authorization: Basic ...`: every malformed header is a plain "no", never a
// throw. Both dialects may use it; it knows nothing of what the two halves mean.

export type BasicResult = { kind: 'absent' } | { kind: 'malformed' } | { kind: 'ok'; user: string; password: string };

const MAX_HEADER = 4096;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseBasic(header: string | string[] | undefined): BasicResult {
  if (header === undefined) return { kind: 'absent' };
  if (Array.isArray(header) || header.length > MAX_HEADER) return { kind: 'malformed' };
  const m = /^basic[ ]+(\S+)[ ]*$/i.exec(header);
  if (!m) return { kind: 'malformed' };
  const encoded = m[1] as string;
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) return { kind: 'malformed' };
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return { kind: 'malformed' };
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1 || CONTROL.test(decoded)) return { kind: 'malformed' };
  return { kind: 'ok', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
