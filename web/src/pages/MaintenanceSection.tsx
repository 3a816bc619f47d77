import { useEffect, useState } from 'preact/hooks';
import { getJson, roleReason, sendJson, Session } from '../lib/api';
import { describeRecord, localDate, MaintenanceRecord, noteProblem, replacementProblem } from '../lib/maintenance';
import { gatewayScope, link } from '../lib/scope';

type Message = { ok: boolean; text: string } | undefined;

/**
 * The maintenance record of a battery (position set) or of a whole string: its replacements and
 * notes, newest work first, and the forms to add to it. Recording a replacement also has the
 * engine learn the battery's resistance baseline again, so the dialog says so before it is sent.
 * Everything entered here is audited by the gateway.
 */
export function MaintenanceSection(props: { stringId: number; position?: number; session?: Session; onChange?: () => void }) {
  const { stringId, position } = props;
  // Through the site aggregator the record is read from the gateway; entries are made at the
  // gateway itself (the aggregator forwards no maintenance writes).
  const gateway = gatewayScope();
  const [records, setRecords] = useState<MaintenanceRecord[] | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  const [message, setMessage] = useState<Message>();
  const query = position === undefined ? `string=${stringId}` : `string=${stringId}&battery=${position}`;
  useEffect(() => {
    getJson(`/api/v1/maintenance?${query}&limit=200`).then(
      (r) => {
        setRecords(r.records ?? []);
        setLoadError(undefined);
      },
      (e) => setLoadError(String(e.message ?? e)),
    );
  }, [query, tick]);
  const denied = roleReason(props.session, 'operator');
  const send = async (body: unknown) => {
    try {
      const r = await sendJson('POST', '/api/v1/maintenance', props.session, body);
      setMessage({ ok: true, text: r.message ?? 'recorded' });
      setTick((t) => t + 1);
      props.onChange?.();
      return true;
    } catch (e: any) {
      setMessage({ ok: false, text: e.body?.error ?? String(e.message ?? e) });
      return false;
    }
  };
  return (
    <section class="maintenance" data-testid="maintenance">
      <h2>Maintenance record</h2>
      {loadError && <p class="value-invalid">Maintenance record: {loadError}</p>}
      {records && records.length === 0 && <p class="muted" data-testid="maintenance-empty">Nothing recorded yet.</p>}
      {records && records.length > 0 && (
        <ul class="maintenance-list" data-testid="maintenance-list">
          {records.map((r) => (
            <li data-kind={r.kind} data-id={r.id}>
              <time>{r.work_date}</time> {r.kind === 'replacement' && <span class="chip chip-replacement">replaced</span>}{' '}
              {position === undefined && r.position > 0 ? <a href={link(`#/battery/${r.string_id}/${r.position}`)}>{describeRecord(r)}</a> : describeRecord(r)}
              <span class="muted"> · entered {new Date(r.recorded_ms).toLocaleString()}</span>
            </li>
          ))}
        </ul>
      )}
      {message && (
        <p class={message.ok ? 'ok' : 'value-invalid'} role="status" data-testid="maintenance-message">
          {message.text}
        </p>
      )}
      {gateway && (
        <p class="muted site-note" data-testid="maintenance-at-gateway">
          Read from gateway {gateway}. New entries are made in the gateway's own web UI.
        </p>
      )}
      {!gateway && <NoteForm denied={denied} target={position === undefined ? `string ${stringId}` : `battery ${stringId}/${position}`} onSend={(note) => send({ kind: 'note', string: stringId, position: position ?? 0, note })} />}
      {!gateway && position !== undefined && <ReplacementForm denied={denied} stringId={stringId} position={position} onSend={(r) => send({ kind: 'replacement', string: stringId, position, work_date: r.date, serial: r.serial.trim(), ...(r.note.trim() ? { note: r.note.trim() } : {}) })} />}
    </section>
  );
}

function NoteForm(props: { denied?: string; target: string; onSend: (note: string) => Promise<boolean> }) {
  const [note, setNote] = useState('');
  const problem = noteProblem(note);
  return (
    <form
      class="inline-form"
      data-testid="maintenance-note-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!problem && (await props.onSend(note.trim()))) setNote('');
      }}
    >
      <label>
        Note on {props.target}{' '}
        <input value={note} maxLength={1000} placeholder="what was checked or done" onInput={(e) => setNote((e.target as HTMLInputElement).value)} data-testid="maintenance-note" />
      </label>
      <button type="submit" disabled={!!props.denied || !!problem} title={props.denied ?? problem} data-testid="maintenance-add-note">
        Add note
      </button>
    </form>
  );
}

function ReplacementForm(props: { denied?: string; stringId: number; position: number; onSend: (r: { date: string; serial: string; note: string }) => Promise<boolean> }) {
  const today = localDate(new Date());
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState({ date: today, serial: '', note: '' });
  const [confirming, setConfirming] = useState(false);
  const problem = replacementProblem(form, today);
  if (!open)
    return (
      <p>
        <button disabled={!!props.denied} title={props.denied} onClick={() => setOpen(true)} data-testid="maintenance-replacement-open">
          Record a replacement of battery {props.stringId}/{props.position}…
        </button>
      </p>
    );
  const set = (k: 'date' | 'serial' | 'note') => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  return (
    <fieldset class="replacement-form" data-testid="maintenance-replacement-form">
      <legend>
        Replacement of battery {props.stringId}/{props.position}
      </legend>
      <label>
        Work date <input type="date" value={form.date} max={today} onInput={set('date')} data-testid="replacement-date" />
      </label>
      <label>
        New block's serial number <input value={form.serial} maxLength={64} onInput={set('serial')} data-testid="replacement-serial" />
      </label>
      <label>
        Note <input value={form.note} maxLength={1000} placeholder="reason, torque, old block's serial" onInput={set('note')} data-testid="replacement-note" />
      </label>
      {problem && <p class="muted">{problem}</p>}
      {!confirming ? (
        <p>
          <button disabled={!!props.denied || !!problem} title={props.denied ?? problem} onClick={() => setConfirming(true)} data-testid="replacement-save">
            Save…
          </button>{' '}
          <button onClick={() => setOpen(false)}>Cancel</button>
        </p>
      ) : (
        <div class="confirm" role="alertdialog" data-testid="replacement-confirm">
          <p>
            Record that battery {props.stringId}/{props.position} was replaced on {form.date} by a block with serial {form.serial.trim()}? Its resistance baseline is then learned again from the new block's
            first readings, and its resistance alarms and attention ranking start over.
          </p>
          <button
            data-testid="replacement-confirm-yes"
            onClick={async () => {
              if (await props.onSend(form)) {
                setForm({ date: today, serial: '', note: '' });
                setOpen(false);
              }
              setConfirming(false);
            }}
          >
            Record the replacement
          </button>{' '}
          <button onClick={() => setConfirming(false)}>Back</button>
        </div>
      )}
    </fieldset>
  );
}
