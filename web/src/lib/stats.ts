// Statistics of a string's batteries: what the string page highlights.

export interface Spread {
  count: number;
  mean: number;
  min: number;
  max: number;
  stddev: number;
}

export function spread(values: number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) * (v - mean), 0) / values.length;
  return {
    count: values.length,
    mean,
    min: Math.min(...values),
    max: Math.max(...values),
    stddev: Math.sqrt(variance),
  };
}

/**
 * Indexes of outliers: values farther from the mean than both `minAbs` (so a tight, healthy
 * string does not flag noise) and `sigmas` standard deviations.
 */
export function outliers(values: number[], minAbs: number, sigmas = 2.5): number[] {
  const s = spread(values);
  if (!s) return [];
  const result: number[] = [];
  values.forEach((v, i) => {
    const d = Math.abs(v - s.mean);
    if (d > minAbs && d > sigmas * s.stddev) result.push(i);
  });
  return result;
}
