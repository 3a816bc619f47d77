import { afterEach, describe, expect, it, vi } from 'vitest';
import { noteServerTime, serverNow } from './clock';

describe('serverNow', () => {
  afterEach(() => vi.useRealTimers());

  it('follows the gateway clock learned from a snapshot, hours ahead of the browser', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    noteServerTime(1_000_000 + 5 * 3_600_000); // a plant at x600 after 30 s
    expect(serverNow()).toBe(1_000_000 + 5 * 3_600_000);
    vi.setSystemTime(1_002_000);
    expect(serverNow()).toBe(1_002_000 + 5 * 3_600_000);
  });

  it('ignores a missing or zero stamp', () => {
    vi.useFakeTimers();
    vi.setSystemTime(2_000_000);
    noteServerTime(2_000_000);
    noteServerTime(0);
    noteServerTime(Number.NaN);
    expect(serverNow()).toBe(2_000_000);
  });
});
