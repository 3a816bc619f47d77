import { describe, expect, it } from 'vitest';
import { describeRecord, latestReplacement, localDate, MaintenanceRecord, noteProblem, replacementProblem, workDateProblem } from './maintenance';

const rec = (over: Partial<MaintenanceRecord>): MaintenanceRecord => ({
  id: 1,
  recorded_ms: 0,
  work_date: '2026-12-01',
  string_id: 1,
  position: 2,
  target: 'battery/1/2',
  kind: 'replacement',
  serial: 'SN',
  note: '',
  user: 'olga',
  ...over,
});

describe('maintenance', () => {
  it('takes today in local time', () => {
    expect(localDate(new Date(2026, 11, 5, 23, 59))).toBe('2026-12-05');
    expect(localDate(new Date(2027, 0, 1, 0, 0))).toBe('2027-01-01');
  });

  it.each([
    ['2026-12-05', undefined],
    ['2028-02-29', 'is in the future'],
    ['2024-02-29', undefined],
    ['2026-02-29', 'not a day of the calendar'],
    ['2026-04-31', 'not a day of the calendar'],
    ['1999-12-31', 'from 2000 on'],
    ['2026-12-06', 'is in the future'],
    ['2026-1-05', 'must be a date'],
    ['', 'must be a date'],
  ])('work date %s', (date, problem) => {
    const p = workDateProblem(date, '2026-12-05');
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });

  it('asks for a serial and bounds the texts', () => {
    expect(replacementProblem({ date: '2026-12-01', serial: ' ', note: '' }, '2026-12-05')).toContain('serial');
    expect(replacementProblem({ date: '2026-12-01', serial: 'x'.repeat(65), note: '' }, '2026-12-05')).toContain('64');
    expect(replacementProblem({ date: '2026-12-01', serial: 'EXD-1', note: 'x'.repeat(1001) }, '2026-12-05')).toContain('1000');
    expect(replacementProblem({ date: '2026-12-01', serial: 'EXD-1', note: '' }, '2026-12-05')).toBeUndefined();
    expect(noteProblem('  ')).toContain('write');
    expect(noteProblem('ok')).toBeUndefined();
  });

  it('describes records in words', () => {
    expect(describeRecord(rec({ note: 'swelling' }))).toBe('Battery 1/2 replaced (new serial SN): swelling — olga');
    expect(describeRecord(rec({ kind: 'note', position: 0, note: 'torque check', user: '' }))).toBe('String 1: torque check');
  });

  it('finds the latest replacement by work date, then by entry', () => {
    const list = [rec({ id: 1, work_date: '2026-12-01', serial: 'A' }), rec({ id: 3, work_date: '2026-11-01', serial: 'B' }), rec({ id: 2, work_date: '2026-12-01', serial: 'C' }), rec({ id: 4, kind: 'note', work_date: '2026-12-04' }), rec({ id: 5, position: 3, work_date: '2026-12-04', serial: 'D' })];
    expect(latestReplacement(list, 2)?.serial).toBe('C');
    expect(latestReplacement(list, 3)?.serial).toBe('D');
    expect(latestReplacement(list, 4)).toBeUndefined();
  });
});
