// Admins import history files (docs/import.md): check first, then import; every rejected
// row is listed with its line, column and reason; a large file becomes a job to follow.

import { ApiError, call, query } from '../api.js';
import { field, h, select } from '../dom.js';
import { t } from '../i18n.js';
import { attempt, notify } from '../ui.js';

const KINDS = ['places', 'assets', 'devices', 'work_orders', 'events', 'telemetry'];
const JOB_POLL_MS = 1000;

function report(result) {
  const counts = ['inserted', 'updated', 'unchanged', 'rejected'].map((k) => `${t(`import.${k}`)} ${result[k]}`).join(' · ');
  return [
    h('p', { 'data-testid': 'import-counts', text: `${result.dry_run ? t('import.checked') : t('import.done')} ${counts}` }),
    result.problems.length > 0 &&
      h(
        'table',
        { class: 'grid', 'data-testid': 'import-problems' },
        h('caption', { text: t('import.problems', { n: result.problems_total }) }),
        h('thead', {}, h('tr', {}, ['import.line', 'import.column', 'import.reason'].map((k) => h('th', { scope: 'col', text: t(k) })))),
        h('tbody', {}, result.problems.map((p) => h('tr', {}, h('td', { text: String(p.line) }), h('td', { text: p.column }), h('td', { text: p.reason })))),
      ),
  ];
}

/** The result of an import: at once, or when its job ends (progress shown meanwhile). */
async function finished(answer) {
  let job = answer;
  while (job.job_id && job.status === 'running') {
    notify(t('import.running', { n: job.rows_sent }));
    await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
    job = await call(`/v1/import/jobs/${job.job_id}`);
  }
  if (job.job_id && job.status === 'failed') throw new ApiError(500, job.error);
  return job.job_id ? job.result : job;
}

export function render({ root }) {
  const kind = select({ name: 'kind' }, KINDS.map((k) => [k, t(`import.kind.${k}`)]));
  const file = h('input', { type: 'file', required: true, accept: '.csv,.xlsx,text/csv', 'data-testid': 'import-file' });
  const dryRun = h('input', { type: 'checkbox', checked: true });
  const skipBad = h('input', { type: 'checkbox' });
  const out = h('section', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', text: t('import.submit'), 'data-testid': 'import-submit' });
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: (event) => {
        event.preventDefault();
        attempt(submit, async () => {
          const chosen = file.files[0];
          const params = query({ filename: chosen.name, dry_run: dryRun.checked, skip_bad: skipBad.checked });
          let result;
          try {
            result = await finished(await call(`/v1/import/${kind.value}${params}`, { method: 'POST', body: chosen }));
          } catch (error) {
            if (!error.body?.problems) throw error;
            result = error.body; // 422: the file was refused, and why
          }
          notify('');
          out.replaceChildren(...report(result).filter(Boolean));
        });
      },
    },
    h('h2', { text: t('import.heading') }),
    field(t('import.kind'), kind),
    field(t('import.file'), file),
    h('label', { class: 'check' }, dryRun, ` ${t('import.dry_run')}`),
    h('label', { class: 'check' }, skipBad, ` ${t('import.skip_bad')}`),
    submit,
  );
  root.append(form, out);
}
