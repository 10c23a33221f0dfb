// jose (JWS signing and verification) loaded on first use: start-up does not need it (issue 9). The first
// session cookie or gateway assertion waits for the import once; every later one gets the loaded module.
import type * as JoseModule from 'jose';

type Jose = typeof JoseModule;

let loading: Promise<Jose> | undefined;

export function jose(): Promise<Jose> {
  return (loading ??= import('jose'));
}
