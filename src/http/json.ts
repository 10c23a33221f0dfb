// JSON body parsing with the limits security.md asks for: a bounded nesting depth, a clear error for
// malformed input, and an empty body read as "no body" rather than an error.

export const MAX_JSON_DEPTH = 32;

/** The content type of JSON answers sent as text already serialised. */
export const JSON_UTF8 = 'application/json; charset=utf-8';

export class BadJson extends Error {
  readonly statusCode = 400;
  readonly code = 'GATEHOUSE_BAD_JSON';
  /** What is wrong beyond "not JSON" (e.g. the nesting limit); undefined for plain malformed JSON. */
  constructor(readonly detail?: string) {
    super(detail ?? 'Invalid JSON input');
  }
}

/** Rejects nesting deeper than `max` by scanning brackets outside strings, before JSON.parse runs. */
function tooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  if (tooDeep(text, MAX_JSON_DEPTH)) throw new BadJson(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));
  } catch {
    throw new BadJson();
  }
}
