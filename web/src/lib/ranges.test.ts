import { DAY_MS, HOUR_MS, expectedTier, parseLocalRange, pointsForWidth, presetOf, presetRange, zoomRange, ALL_SPAN_MS } from './ranges';

const NOW = Date.UTC(2026, 0, 10, 12);

describe('range presets', () => {
  test.each([
    ['1h', HOUR_MS],
    ['24h', DAY_MS],
    ['7d', 7 * DAY_MS],
    ['30d', 30 * DAY_MS],
    ['1y', 365 * DAY_MS],
    ['all', ALL_SPAN_MS],
  ] as const)('%s ends now and spans %d ms', (key, span) => {
    const r = presetRange(key, NOW);
    expect(r.to_ms).toBe(NOW);
    expect(r.to_ms - r.from_ms).toBe(span);
    expect(presetOf(r, NOW)).toBe(key);
  });
  test('a range not ending now is no preset', () => {
    expect(presetOf({ from_ms: NOW - 2 * DAY_MS, to_ms: NOW - DAY_MS }, NOW)).toBeUndefined();
  });
  test('unknown preset throws', () => {
    expect(() => presetRange('2w' as any, NOW)).toThrow(/unknown/);
  });
});

describe('tier and points', () => {
  test.each([
    [HOUR_MS, 600, 'raw'],
    [DAY_MS, 600, 'minute'],
    [7 * DAY_MS, 1000, 'minute'],
    [7 * DAY_MS, 100, 'hour'],
    [365 * DAY_MS, 1000, 'hour'],
    [DAY_MS, 1440, 'minute'],
    [DAY_MS, 1441, 'raw'],
  ] as const)('span %d ms with %d points is answered from %s', (span, points, tier) => {
    expect(expectedTier({ from_ms: 0, to_ms: span }, points)).toBe(tier);
  });
  test('points follow the width, clamped to 60..1000', () => {
    expect(pointsForWidth(50)).toBe(60);
    expect(pointsForWidth(960)).toBe(480);
    expect(pointsForWidth(5000)).toBe(1000);
  });
});

describe('zoom and custom ranges', () => {
  test('zoom converts seconds to ms in order', () => {
    expect(zoomRange(2000, 1000)).toEqual({ from_ms: 1_000_000, to_ms: 2_000_000 });
  });
  test('a tiny selection widens to a minute around its middle', () => {
    const r = zoomRange(1000, 1001);
    expect(r.to_ms - r.from_ms).toBe(60_000);
    expect((r.from_ms + r.to_ms) / 2).toBe(1_000_500);
  });
  test('custom range must be ordered and complete', () => {
    expect(parseLocalRange('2026-01-02T00:00', '2026-01-01T00:00')).toMatch(/before/);
    expect(parseLocalRange('', '2026-01-01T00:00')).toMatch(/both/);
    const r = parseLocalRange('2026-01-01T00:00', '2026-01-02T00:00');
    expect(typeof r === 'object' && r.to_ms - r.from_ms).toBe(DAY_MS);
  });
});
