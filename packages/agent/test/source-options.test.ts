// The test-only clock offset (FUSTOR_TEST_CLOCK_OFFSET_MS) used by the R9 end-to-end test.

import { describe, expect, it } from 'vitest';
import { testClock } from '../src/pipes/source-options.js';

describe('testClock', () => {
  it('is absent unless the variable is set, and shifts Date.now by its value', () => {
    expect(testClock({})).toBeUndefined();
    expect(testClock({ FUSTOR_TEST_CLOCK_OFFSET_MS: '' })).toBeUndefined();
    const ahead = testClock({ FUSTOR_TEST_CLOCK_OFFSET_MS: '3600000' })!;
    const before = Date.now();
    const t = ahead();
    expect(t - before).toBeGreaterThanOrEqual(3_600_000);
    expect(t - Date.now()).toBeLessThanOrEqual(3_600_000);
  });
  it('refuses a value that is not a number instead of running with a wrong clock', () => {
    expect(() => testClock({ FUSTOR_TEST_CLOCK_OFFSET_MS: 'one hour' })).toThrow(/FUSTOR_TEST_CLOCK_OFFSET_MS='one hour' is not a number/);
  });
});
