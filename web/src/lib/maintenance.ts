/** The maintenance record as the UI shows and checks it (the server checks it again). */

export interface MaintenanceRecord {
  id: number;
  recorded_ms: number;
  work_date: string; // YYYY-MM-DD
  string_id: number;
  position: number; // 0 = the string itself
  target: string;
  kind: 'note' | 'replacement';
  serial: string;
  note: string;
  user: string;
}

export const MAX_SERIAL_CHARS = 64;
export const MAX_NOTE_CHARS = 1000;

/** Today in the browser's time zone as YYYY-MM-DD (the day a technician means by "today"). */
export function localDate(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/** A real calendar day YYYY-MM-DD from 2000 on, not after `today` (also YYYY-MM-DD). */
export function workDateProblem(date: string, today: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return 'the work date must be a date YYYY-MM-DD';
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  if (y < 2000 || t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return `${date} is not a day of the calendar from 2000 on`;
  if (date > today) return `${date} is in the future`;
  return undefined;
}

/** Why a replacement cannot be sent yet (undefined = ready). */
export function replacementProblem(r: { date: string; serial: string; note: string }, today: string): string | undefined {
  const date = workDateProblem(r.date, today);
  if (date) return date;
  const serial = r.serial.trim();
  if (!serial) return "the new block's serial number is needed (it is on its label)";
  if ([...serial].length > MAX_SERIAL_CHARS) return `the serial number is longer than ${MAX_SERIAL_CHARS} characters`;
  if ([...r.note].length > MAX_NOTE_CHARS) return `the note is longer than ${MAX_NOTE_CHARS} characters`;
  return undefined;
}

/** Why a note cannot be sent yet (undefined = ready). */
export function noteProblem(note: string): string | undefined {
  if (!note.trim()) return 'write the note first';
  if ([...note].length > MAX_NOTE_CHARS) return `the note is longer than ${MAX_NOTE_CHARS} characters`;
  return undefined;
}

/** One line per record, as the log and the audit trail say it. */
export function describeRecord(r: MaintenanceRecord): string {
  const who = r.user ? ` — ${r.user}` : '';
  if (r.kind === 'replacement') return `Battery ${r.string_id}/${r.position} replaced (new serial ${r.serial})${r.note ? `: ${r.note}` : ''}${who}`;
  const what = r.position > 0 ? `Battery ${r.string_id}/${r.position}` : `String ${r.string_id}`;
  return `${what}: ${r.note}${who}`;
}

/** The latest replacement of a battery among the records (newest work date, then newest entry). */
export function latestReplacement(records: MaintenanceRecord[], position: number): MaintenanceRecord | undefined {
  return records
    .filter((r) => r.kind === 'replacement' && r.position === position)
    .sort((a, b) => (a.work_date === b.work_date ? b.id - a.id : a.work_date < b.work_date ? 1 : -1))[0];
}
