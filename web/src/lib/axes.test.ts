import { alignSeries, plotLayout, unitGroups } from './axes';
import { axisStroke } from './theme';
import { HistorySeries } from './history';

describe('unit-grouped axes', () => {
  test('channels of one unit share a scale; axes alternate left/right', () => {
    const g = unitGroups(['V', 'A', 'V', '°C', 'A']);
    expect(g.map((x) => x.unit)).toEqual(['V', 'A', '°C']);
    expect(g.map((x) => x.channels)).toEqual([[0, 2], [1, 4], [3]]);
    expect(g.map((x) => x.side)).toEqual([3, 1, 3]);
    expect(new Set(g.map((x) => x.scale)).size).toBe(3);
  });
  test('no channels, no groups', () => {
    expect(unitGroups([])).toEqual([]);
  });
});

const s = (channel: string, unit: string, times: number[]): HistorySeries => ({
  channel,
  unit,
  buckets: times.map((t) => [t, t - 1, t + 1, t, 1]),
});

describe('aligning series on one time axis', () => {
  test('union of times, gaps as null, seconds on x', () => {
    const a = alignSeries([s('a', 'V', [1000, 3000]), s('b', 'A', [2000, 3000])]);
    expect(a.xs).toEqual([1, 2, 3]);
    expect(a.mean).toEqual([
      [1000, null, 3000],
      [null, 2000, 3000],
    ]);
    expect(a.min[0]).toEqual([999, null, 2999]);
    expect(a.max[1]).toEqual([null, 2001, 3001]);
  });
  test('layout with bands: mean, min, max per channel and one band each', () => {
    const l = plotLayout([s('string/1/voltage', 'V', [1000]), s('string/1/current', 'A', [1000]), s('string/2/voltage', 'V', [1000])], true);
    expect(l.data.length).toBe(1 + 3 * 3);
    expect(l.series.length).toBe(l.data.length);
    expect(l.bands).toEqual([
      { series: [3, 2], fill: expect.any(String) },
      { series: [6, 5], fill: expect.any(String) },
      { series: [9, 8], fill: expect.any(String) },
    ]);
    expect(l.axes.length).toBe(1 + 2);
    expect(l.series[1].scale).toBe(l.series[7].scale);
    expect(l.series[1].scale).not.toBe(l.series[4].scale);
  });
  test('layout without bands: one series per channel', () => {
    const l = plotLayout([s('a', 'V', [1000])], false);
    expect(l.data.length).toBe(2);
    expect(l.bands).toEqual([]);
  });
});

describe('axis colours', () => {
  it('every axis takes the text colour it is given (a canvas cannot resolve currentColor)', () => {
    const layout = plotLayout(
      [
        { channel: 'battery/1/1/voltage', unit: 'V', buckets: [] },
        { channel: 'battery/1/1/temperature', unit: '°C', buckets: [] },
      ] as any,
      true,
      '#e6e9ee',
    );
    expect(layout.axes.length).toBe(3);
    for (const a of layout.axes) expect(a.stroke).toBe('#e6e9ee');
  });
  it('axisStroke reads a value or a function as uPlot holds it', () => {
    expect(axisStroke({ axes: [{ stroke: '#fff' }] }, 0)).toBe('#fff');
    expect(axisStroke({ axes: [{}, { stroke: () => 'rgb(1, 2, 3)' }] }, 1)).toBe('rgb(1, 2, 3)');
  });
});
