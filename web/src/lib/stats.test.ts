import { describe, expect, it } from 'vitest';
import { outliers, spread } from './stats';

describe('spread', () => {
  it('is undefined for no values', () => expect(spread([])).toBeUndefined());
  it('computes mean, min, max, stddev', () => {
    const s = spread([13.5, 13.6, 13.7])!;
    expect(s.mean).toBeCloseTo(13.6);
    expect(s.min).toBe(13.5);
    expect(s.max).toBe(13.7);
    expect(s.stddev).toBeCloseTo(0.0816, 3);
  });
});

describe('outliers', () => {
  const healthy = Array.from({ length: 40 }, (_, i) => 13.6 + ((i % 3) - 1) * 0.005);
  it('flags nothing in a tight string', () => expect(outliers(healthy, 0.05)).toEqual([]));
  it('flags the one battery far from the rest', () => {
    const values = [...healthy];
    values[17] = 14.2;
    expect(outliers(values, 0.05)).toEqual([17]);
  });
  it('needs the absolute margin too', () => {
    const values = [...healthy];
    values[3] = 13.64;
    expect(outliers(values, 0.05)).toEqual([]);
  });
});
