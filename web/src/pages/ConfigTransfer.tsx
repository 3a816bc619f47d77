import { useState } from 'preact/hooks';
import { ApiError, Session, Topology, getJson, roleReason, sendJson } from '../lib/api';
import { ImportPreview, exportDocument, exportFileName, parseImport, prepareImport, previewRows } from '../lib/config_transfer';
import { ConfigDoc, ConfigField } from '../lib/settings';
import { NotSaved } from './NotSaved';

/**
 * Export and import of the engine configuration on the settings page. Export (viewer) downloads
 * the configuration as GET /api/v1/config answers it, in a file built in the browser. Import
 * (admin) reads a file in the browser, refuses what is not a configuration, shows what would
 * change and sends one PUT on "Apply"; the server checks everything again.
 */
export function ConfigTransfer(props: { session?: Session; topology: Topology; config: ConfigDoc; fields: ConfigField[]; onApplied: (config: ConfigDoc) => void }) {
  const adminReason = roleReason(props.session, 'admin');
  const [exportError, setExportError] = useState<string | undefined>();
  const [refusal, setRefusal] = useState<string | undefined>();
  const [preview, setPreview] = useState<(ImportPreview & { file: string; exportedMs?: number }) | undefined>();
  const [problems, setProblems] = useState<string[]>([]);
  const [done, setDone] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const site = props.topology.name;

  const download = async () => {
    setExportError(undefined);
    try {
      // The configuration as the gateway holds it now, not as this page loaded it.
      const answer = await getJson('/api/v1/config');
      const now = new Date();
      const text = JSON.stringify(exportDocument(answer.config, site, now.getTime()), null, 2) + '\n';
      const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = exportFileName(site, now);
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setExportError(String((e as Error).message ?? e));
    }
  };

  const choose = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = ''; // the same file may be chosen again after a change
    setRefusal(undefined);
    setPreview(undefined);
    setProblems([]);
    setDone(undefined);
    if (!file) return;
    const parsed = parseImport(await file.text(), props.fields);
    if (!parsed.ok) {
      setRefusal(`${file.name}: ${parsed.error} Nothing was sent.`);
      return;
    }
    const p = prepareImport(props.config, props.fields, parsed, site);
    setPreview({ ...p, file: file.name, exportedMs: parsed.exportedMs });
  };

  const apply = async () => {
    if (!preview) return;
    setBusy(true);
    try {
      const answer = await sendJson('PUT', '/api/v1/config', props.session, preview.body);
      props.onApplied(answer.config ?? answer);
      const n = preview.changes.length + preview.others.length;
      setDone(`${preview.file}: ${n} change${n === 1 ? '' : 's'} imported`);
      setPreview(undefined);
    } catch (e) {
      if (e instanceof ApiError && Array.isArray(e.body?.problems)) setProblems(e.body.problems);
      else setProblems([String((e as Error).message ?? e)]);
    } finally {
      setBusy(false);
    }
  };

  const rows = preview ? previewRows(props.config, preview) : [];
  return (
    <section data-testid="config-transfer">
      <h2>Export and import</h2>
      <p>
        <button onClick={download} data-testid="config-export" title="limits and timings as a JSON file">
          Export configuration
        </button>{' '}
        <label class={adminReason ? 'muted' : ''} title={adminReason ?? 'a file exported here or on another gateway'}>
          Import configuration…{' '}
          <input type="file" accept=".json,application/json" disabled={!!adminReason} data-testid="config-import-file" onChange={(e) => choose(e.target as HTMLInputElement)} />
        </label>
        {adminReason && <small class="muted"> Importing: {adminReason}.</small>}
        {done && <span class="ok-text" data-testid="config-import-saved"> {done}</span>}
      </p>
      {exportError && <p class="value-invalid">Export: {exportError}</p>}
      {refusal && (
        <p class="value-invalid" data-testid="config-import-refused">
          {refusal}
        </p>
      )}
      {preview && (
        <div data-testid="config-import-preview">
          <p>
            <strong>{preview.file}</strong>
            {preview.exportedMs !== undefined && <span class="muted"> exported {new Date(preview.exportedMs).toLocaleString()}</span>}
          </p>
          {preview.siteWarning && (
            <p class="value-invalid" data-testid="config-import-site-warning">
              {preview.siteWarning}
            </p>
          )}
          {preview.identical ? (
            <p data-testid="config-import-identical">The file's configuration is identical to this gateway's: nothing to import.</p>
          ) : (
            <table class="grid">
              <thead>
                <tr>
                  <th>Setting</th>
                  <th>Current</th>
                  <th>Imported</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr data-testid="config-import-row" data-path={r.path}>
                    <th>
                      {r.label}
                      {r.label !== r.path && (
                        <>
                          <br />
                          <small class="muted">{r.path}</small>
                        </>
                      )}
                    </th>
                    <td>{r.current}</td>
                    <td>{r.imported}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {preview.problems.length > 0 && (
            <div class="problems" data-testid="config-import-check">
              <strong>Cannot be imported as it is:</strong>
              <ul>
                {preview.problems.map((p) => (
                  <li>{p}</li>
                ))}
              </ul>
            </div>
          )}
          <p>
            {!preview.identical && (
              <>
                <button onClick={apply} disabled={busy || preview.problems.length > 0} data-testid="config-import-apply">
                  Apply {rows.length} change{rows.length === 1 ? '' : 's'}
                </button>{' '}
              </>
            )}
            <button onClick={() => { setPreview(undefined); setProblems([]); }}>{preview.identical ? 'Close' : 'Cancel'}</button>
          </p>
          {!preview.identical && <p class="muted">They apply from the next engine step and are recorded in the event log and the audit trail.</p>}
        </div>
      )}
      <NotSaved problems={problems} testid="config-import-problems" />
    </section>
  );
}
