import { describe, expect, it } from 'vitest';
import { BROWSER_STALE_AFTER_MS, formatAge, formatValue, freshness, LiveStore } from './live';

const v = (quality: 'ok' | 'stale' | 'comm_lost' | 'invalid', time_ms = 1000) => ({
  value: 13.512,
  unit: 'V',
  time_ms,
  quality,
});

describe('freshness', () => {
  it.each([
    ['ok', 1000, 'fresh'],
    ['ok', 1000 + BROWSER_STALE_AFTER_MS + 1, 'stale'],
    ['stale', 1000, 'stale'],
    ['comm_lost', 1000, 'lost'],
    ['invalid', 1000, 'invalid'],
  ] as const)('%s at %d -> %s', (quality, now, expected) => {
    expect(freshness(v(quality), now)).toBe(expected);
  });
  it('missing channel', () => expect(freshness(undefined, 0)).toBe('missing'));
});

describe('formatValue', () => {
  it('shows value and unit', () => expect(formatValue(v('ok'), 2)).toBe('13.51 V'));
  it('never shows an invalid number', () => expect(formatValue(v('invalid'), 2)).toBe('—'));
  it('shows a lost value (greyed by the caller) rather than hiding it', () =>
    expect(formatValue(v('comm_lost'), 1)).toBe('13.5 V'));
});

describe('formatAge', () => {
  it.each([
    [5_000, '5 s ago'],
    [120_000, '2 min ago'],
    [7_200_000, '2 h ago'],
    [172_800_000, '2 d ago'],
  ])('%d ms -> %s', (age, text) => expect(formatAge(0, age)).toBe(text));
});

describe('LiveStore', () => {
  it('merges updates and notifies', () => {
    const store = new LiveStore();
    let calls = 0;
    const off = store.subscribe(() => calls++);
    store.apply({ a: v('ok') }, 1);
    store.apply({ b: v('stale') }, 2);
    expect(store.get('a')?.quality).toBe('ok');
    expect(store.get('b')?.quality).toBe('stale');
    expect(store.sequence).toBe(2);
    off();
    store.apply({ a: v('comm_lost') });
    expect(calls).toBe(2);
    expect(store.get('a')?.quality).toBe('comm_lost');
  });
});

import { resistanceVersusBaseline } from './format';
describe('resistance vs baseline', () => {
  const v = (value: number, quality: any = 'ok', time_ms = 1000) => ({ value, unit: 'mΩ', time_ms, quality });
  test.each([
    [v(5.5), v(5), '+10 % vs baseline'],
    [v(4.5), v(5), '−10 % vs baseline'],
    [v(5.5), v(0, 'invalid'), 'baseline not learned yet'],
    [undefined, v(5), 'no resistance reading'],
    [v(6, 'stale'), v(5), '+20 % vs baseline (stale)'],
  ])('%j / %j', (r, b, text) => expect(resistanceVersusBaseline(r as any, b as any, 2000)).toBe(text));
});
