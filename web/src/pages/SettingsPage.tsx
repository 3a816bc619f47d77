import { useEffect, useState } from 'preact/hooks';
import { ApiError, Session, Topology, getJson, roleReason, sendJson } from '../lib/api';
import { CloudSettingsSection } from './CloudSettings';
import { ConfigTransfer } from './ConfigTransfer';
import { Change, ConfigDoc, ConfigField, FormValue, buildPatch, checkChanges, checkValue, diffConfig, fieldPath, formatFieldValue, getPath, groupFields, shownField, shownValue } from '../lib/settings';
import { NotSaved } from './NotSaved';
import { NotificationRecipients } from './NotificationRecipients';

interface ConfigAnswer {
  config: ConfigDoc;
  fields: ConfigField[];
}

/** Alarm thresholds, equalization, protection (admin), generated from the server's field table. */
export function SettingsPage(props: { session?: Session; topology: Topology }) {
  const [answer, setAnswer] = useState<ConfigAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [edits, setEdits] = useState<Record<string, FormValue | undefined>>({});
  const [stringId, setStringId] = useState<number | undefined>(undefined);
  const [review, setReview] = useState<Change[] | undefined>();
  const [problems, setProblems] = useState<string[]>([]);
  const [saved, setSaved] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    getJson('/api/v1/config').then(setAnswer, (e) => setError(e.message ?? String(e)));
  }, []);
  const adminReason = roleReason(props.session, 'admin');

  if (error) return <section><h1>Settings</h1><p class="value-invalid">Configuration: {error}</p><CloudSettingsSection session={props.session} /><Users session={props.session} /></section>;
  if (!answer) return <p>Loading settings…</p>;
  const { config, fields } = answer;
  const changes = diffConfig(config, fields, edits);

  const input = (field: ConfigField, path: string[], placeholder?: string) => {
    const key = path.join('.');
    const current = getPath(config, path);
    const edited = key in edits ? edits[key] : current;
    const isFlag = field.type === 'boolean' || typeof current === 'boolean' || typeof getPath(config, fieldPath(config, field)) === 'boolean';
    if (isFlag)
      return (
        <input
          type="checkbox"
          disabled={!!adminReason}
          checked={edited === true}
          onChange={(e) => setEdits({ ...edits, [key]: (e.target as HTMLInputElement).checked })}
        />
      );
    // Typed text as typed; stored values in the display unit (durations in s or min), in full.
    const site = getPath(config, fieldPath(config, field));
    const text = key in edits ? (edited === undefined ? '' : String(edited)) : typeof current === 'number' ? shownValue(field, current, site) : '';
    const shown = shownField(field, site);
    const problem = text === '' ? undefined : checkValue(shown, text, field.description || field.name);
    return (
      <input
        class={problem ? 'invalid' : key in edits ? 'edited' : ''}
        inputMode={field.type === 'integer' ? 'numeric' : 'decimal'}
        size={12}
        disabled={!!adminReason}
        value={text}
        placeholder={placeholder}
        title={problem ?? `${shown.min} … ${shown.max} ${shown.unit}`}
        data-testid={`field-${key}`}
        onInput={(e) => setEdits({ ...edits, [key]: (e.target as HTMLInputElement).value })}
      />
    );
  };

  const openReview = () => {
    setSaved(undefined);
    const p = checkChanges(changes, config);
    setProblems(p);
    if (p.length === 0) setReview(changes);
  };
  const apply = async () => {
    if (!review) return;
    setBusy(true);
    try {
      const body = await sendJson('PUT', '/api/v1/config', props.session, buildPatch(config, review));
      setAnswer({ config: body.config ?? body, fields });
      setEdits({});
      setReview(undefined);
      setProblems([]);
      setSaved(`${review.length} change${review.length === 1 ? '' : 's'} saved`);
    } catch (e) {
      setReview(undefined);
      if (e instanceof ApiError && Array.isArray(e.body?.problems)) setProblems(e.body.problems);
      else setProblems([String((e as Error).message ?? e)]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Settings</h1>
      {adminReason && <p class="muted">Read only: {adminReason}.</p>}
      <p>
        Per-string overrides for{' '}
        <select data-testid="override-string" onChange={(e) => setStringId((e.target as HTMLSelectElement).value ? Number((e.target as HTMLSelectElement).value) : undefined)}>
          <option value="">(none)</option>
          {props.topology.strings.map((s) => (
            <option value={s.id}>{s.name}</option>
          ))}
        </select>
      </p>
      <table class="grid settings" data-testid="settings-form">
        <thead>
          <tr>
            <th>Setting</th>
            <th>Site value</th>
            {stringId !== undefined && <th>String {stringId} override</th>}
            <th>Range</th>
          </tr>
        </thead>
        {groupFields(fields).map(({ group, fields: inGroup }) => (
          <tbody data-testid={`settings-group`} data-group={group}>
            <tr class="group">
              <th colSpan={stringId !== undefined ? 4 : 3}>{group}</th>
            </tr>
            {inGroup.map((f) => {
              const site = getPath(config, fieldPath(config, f));
              const shown = shownField(f, site);
              return (
                <tr>
                  <th>
                    {f.description || f.name}
                    <br />
                    <small class="muted">{f.name}</small>
                  </th>
                  <td>
                    {input(f, fieldPath(config, f))} {shown.unit}
                  </td>
                  {stringId !== undefined && (
                    <td>
                      {f.per_string ? (
                        <>
                          {input(f, fieldPath(config, f, stringId), `site: ${formatFieldValue(f, site, site)}`)} {shown.unit}
                        </>
                      ) : (
                        <small class="muted">site-wide only</small>
                      )}
                    </td>
                  )}
                  <td class="muted">{f.type === 'boolean' ? 'on / off' : `${shown.min} … ${shown.max} ${shown.unit}`}</td>
                </tr>
              );
            })}
          </tbody>
        ))}
      </table>
      <p>
        <button disabled={!!adminReason || changes.length === 0} onClick={openReview} data-testid="review-changes">
          Review {changes.length} change{changes.length === 1 ? '' : 's'}…
        </button>{' '}
        <button disabled={changes.length === 0} onClick={() => { setEdits({}); setProblems([]); }}>
          Discard
        </button>
        {saved && <span class="ok-text" data-testid="settings-saved"> {saved}</span>}
      </p>
      <NotSaved problems={problems} testid="settings-problems" />
      {review && (
        <div class="modal" role="dialog" aria-modal="true" data-testid="confirm-dialog">
          <div class="modal-box">
            <h2>Apply these changes?</h2>
            <table class="grid">
              <tbody>
                {review.map((c) => (
                  <tr>
                    <th>{c.path}</th>
                    <td>{formatFieldValue(c.field, c.from, getPath(config, fieldPath(config, c.field)))}</td>
                    <td>→</td>
                    <td>{formatFieldValue(c.field, c.to, getPath(config, fieldPath(config, c.field)))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="muted">They apply from the next engine step and are recorded in the event log and the audit trail.</p>
            <button onClick={apply} disabled={busy} data-testid="confirm-apply">
              Apply
            </button>{' '}
            <button onClick={() => setReview(undefined)}>Cancel</button>
          </div>
        </div>
      )}
      <ConfigTransfer session={props.session} topology={props.topology} config={config} fields={fields} onApplied={(c) => setAnswer({ config: c, fields })} />
      <CloudSettingsSection session={props.session} />
      <NotificationRecipients session={props.session} />
      <Users session={props.session} />
    </section>
  );
}

interface User {
  name: string;
  role: string;
  created_ms: number;
  disabled: boolean;
}

function Users(props: { session?: Session }) {
  const reason = roleReason(props.session, 'admin');
  const [users, setUsers] = useState<User[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const [form, setForm] = useState({ name: '', role: 'viewer', password: '' });
  const load = () => getJson('/api/v1/users').then(setUsers, (e) => setError(e.message ?? String(e)));
  useEffect(() => {
    if (!reason) load();
  }, [reason]);
  const run = async (p: Promise<any>, ok: string) => {
    setMessage(undefined);
    try {
      await p;
      setMessage(ok);
      load();
      return true;
    } catch (e) {
      setMessage(String((e as Error).message ?? e));
      return false;
    }
  };
  return (
    <section class="users">
      <h2>Users</h2>
      {reason ? (
        <p class="muted">Managing users: {reason}.</p>
      ) : (
        <>
          {error && <p class="value-invalid">{error}</p>}
          <table class="grid" data-testid="users">
            <tbody>
              {users?.map((u) => (
                <tr>
                  <th>{u.name}</th>
                  <td>{u.role}</td>
                  <td class="muted">since {new Date(u.created_ms).toLocaleDateString()}</td>
                  <td>
                    <button
                      disabled={u.name === props.session?.user}
                      title={u.name === props.session?.user ? 'you cannot remove yourself here' : ''}
                      onClick={() => confirm(`Remove user ${u.name}? Their sessions end at once.`) && run(sendJson('DELETE', `/api/v1/users/${encodeURIComponent(u.name)}`, props.session), `${u.name} removed`)}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <form
            class="inline-form"
            onSubmit={async (e) => {
              e.preventDefault();
              if (await run(sendJson('POST', '/api/v1/users', props.session, form), `${form.name} added`)) setForm({ name: '', role: 'viewer', password: '' });
            }}
          >
            <input placeholder="name (a-z 0-9 _ . -)" pattern="[a-z0-9_.\-]{1,32}" required value={form.name} onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} />
            <select value={form.role} onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value })}>
              <option>viewer</option>
              <option>operator</option>
              <option>admin</option>
            </select>
            <input type="password" placeholder="password (10+ characters)" minLength={10} required autocomplete="new-password" value={form.password} onInput={(e) => setForm({ ...form, password: (e.target as HTMLInputElement).value })} />
            <button type="submit">Add user</button>
          </form>
          {message && <p>{message}</p>}
        </>
      )}
    </section>
  );
}
