import { describe, expect, it } from 'vitest';
import { matchChannels } from './channel_search';

const names = ['string/1/highest_voltage', 'string/1/lowest_voltage', 'string/1/voltage', 'string/10/voltage', 'battery/1/3/voltage', 'string/1/current', 'ups/1/voltage'];

describe('matchChannels', () => {
  it('puts names where each word is a whole part of the path first', () => {
    expect(matchChannels(names, 'string/1 voltage')).toEqual(['string/1/voltage', 'string/10/voltage', 'string/1/lowest_voltage', 'string/1/highest_voltage']);
  });
  it('needs every word', () => {
    expect(matchChannels(names, 'string/1 current')).toEqual(['string/1/current']);
    expect(matchChannels(names, 'nothing')).toEqual([]);
  });
  it('is empty for an empty search and keeps the store order among equals', () => {
    expect(matchChannels(names, '   ')).toEqual([]);
    expect(matchChannels(['b/x', 'a/x'], 'x')).toEqual(['b/x', 'a/x']);
  });
  it('ignores case and stops at the limit', () => {
    expect(matchChannels(names, 'VOLTAGE', 2)).toEqual(['ups/1/voltage', 'string/1/voltage']);
  });
});
