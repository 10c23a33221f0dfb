// deviceName (src/http/pages/device.ts): the account page's short names for user agents.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceName } from '../../src/http/pages/device.js';

describe('deviceName', () => {
  it('names common browsers, systems and tools, and falls back to the first product token', () => {
    const cases: Array<[string | null, string | undefined]> = [
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Windows'],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Chrome on macOS'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', 'Edge on Windows'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari on iOS'],
      ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
      ['curl/8.5.0', 'curl'],
      ['AcmeBookings/2.1 (Android 14)', 'AcmeBookings on Android'],
      ['SomeTool/1.0', 'SomeTool'],
      ['', undefined],
      [null, undefined],
    ];
    for (const [ua, name] of cases) assert.equal(deviceName(ua), name, String(ua));
  });
});
