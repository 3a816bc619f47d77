import { Bucket, HistorySeries } from './history';
import { bucketAt, runtimeVersusPrediction, timeline, valuesAt, weakestPositions } from './playback';

const b = (t: number, mean: number): Bucket => [t, mean, mean, mean, 1];

describe('playback time index', () => {
  const buckets = [b(1000, 1), b(2000, 2), b(3000, 3), b(5000, 5)];
  test.each([
    [0, -1],
    [999, -1],
    [1000, 0],
    [1999, 0],
    [2000, 1],
    [4999, 2],
    [5000, 3],
    [99999, 3],
  ])('t=%d -> bucket %d', (t, i) => expect(bucketAt(buckets, t)).toBe(i));
  test('empty', () => expect(bucketAt([], 5)).toBe(-1));
  test('values at a moment; a gap older than max age is unknown', () => {
    const series: HistorySeries[] = [
      { channel: 'a', unit: 'V', buckets },
      { channel: 'b', unit: 'V', buckets: [b(1000, 10)] },
    ];
    expect(valuesAt(series, 2500, 1500)).toEqual([2, 10]);
    expect(valuesAt(series, 3000, 1500)).toEqual([3, undefined]);
    expect(valuesAt(series, 500, 1500)).toEqual([undefined, undefined]);
    expect(timeline(series)).toEqual([1000, 2000, 3000, 5000]);
  });
});

describe('weakest batteries and runtime', () => {
  test('lowest minimum first, never-read (0) left out', () => {
    expect(weakestPositions([12.1, 0, 11.9, 12.0, 11.5], 3)).toEqual([5, 3, 4]);
  });
  test.each([
    [{ actual_runtime_min: 15, predicted_runtime_min: 40, running: false }, '15.0 min of 40.0 min predicted (38 %)'],
    [{ actual_runtime_min: 0, predicted_runtime_min: 40, running: true }, 'running of 40.0 min predicted'],
    [{ actual_runtime_min: 12, predicted_runtime_min: 0, running: false }, '12.0 min; no prediction'],
    [{ actual_runtime_min: null, predicted_runtime_min: null, running: false }, 'unknown; no prediction'],
  ])('%j', (d, text) => expect(runtimeVersusPrediction(d)).toBe(text));
});
