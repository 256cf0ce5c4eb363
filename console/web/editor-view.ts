/**
 * Create and edit: the schema form beside its YAML. Every change (in either) is dry-run on the server after a short
 * pause, so the webhook's defaults and its field errors show before anything is stored.
 */
import { callApi, ConsoleApiError, currentSession } from './api.js';
import { el, replaceChildren } from './dom.js';
import type { JsonObject } from './object-paths.js';
import { renderSchemaForm, type JsonSchema, type SchemaForm } from './schema-form.js';
import { toYaml } from './yaml-text.js';

const DRY_RUN_PAUSE_MS = 350;

interface DryRunAnswer {
  submitted: JsonObject;
  object: JsonObject;
}

/** What the user edits of a stored object: no status, no server-managed metadata. */
function editable(store: JsonObject): JsonObject {
  const metadata = (store.metadata ?? {}) as JsonObject;
  const kept: JsonObject = { name: metadata.name, namespace: metadata.namespace };
  for (const key of ['labels', 'annotations']) if (metadata[key]) kept[key] = metadata[key];
  return { metadata: kept, spec: store.spec ?? {} };
}

export async function showEditor(root: HTMLElement, target?: { namespace: string; name: string }): Promise<void> {
  const { schema, source } = await callApi<{ schema: JsonSchema; source: string }>('GET', '/api/schema');
  const mode = target ? 'replace' : 'create';
  // An edit is saved as a patch against what was loaded (the server computes it), so status writes meanwhile do
  // not make it conflict.
  const original = target ? editable(await callApi<JsonObject>('GET', `/api/stores/${target.namespace}/${target.name}`)) : undefined;
  let value: JsonObject = original ?? { metadata: { name: '', namespace: 'default' }, spec: {} };
  const yamlText = el('textarea', { id: 'yaml', spellcheck: 'false' });
  const admittedText = el('pre', { id: 'admitted', class: 'card' });
  const status = el('div', { id: 'dry-run-status', class: 'muted' });
  const submit = el('button', { class: 'primary', id: 'submit', type: 'button', disabled: currentSession().readOnly }, target ? 'Save' : 'Create');
  const formHolder = el('div');
  let form: SchemaForm;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sequence = 0;

  const dryRun = (body: { object?: JsonObject; yaml?: string }) => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++sequence;
      status.textContent = 'checking with the API server (dry-run)…';
      try {
        const answer = await callApi<DryRunAnswer>('POST', '/api/stores/dry-run', { ...body, mode, original });
        if (mine !== sequence) return;
        if (body.yaml !== undefined) {
          value = answer.submitted;
          drawForm();
        }
        form.showErrors([]);
        form.showAdmitted(answer.object);
        admittedText.textContent = toYaml({ spec: answer.object.spec });
        status.textContent = 'dry-run passed: the webhook and the API server accept this store';
        status.className = 'ok';
      } catch (error) {
        if (mine !== sequence) return;
        const fieldErrors = error instanceof ConsoleApiError ? error.fieldErrors : [];
        form.showErrors(fieldErrors.length ? fieldErrors : [{ field: '', message: error instanceof Error ? error.message : String(error) }]);
        status.textContent = `dry-run refused: ${error instanceof Error ? error.message : String(error)}`;
        status.className = 'error';
      }
    }, DRY_RUN_PAUSE_MS);
  };

  function drawForm(): void {
    form = renderSchemaForm(schema, value, (next) => {
      value = next;
      yamlText.value = toYaml(value);
      dryRun({ object: value });
    });
    replaceChildren(formHolder, form.element);
  }

  yamlText.addEventListener('input', () => dryRun({ yaml: yamlText.value }));
  submit.addEventListener('click', async () => {
    submit.disabled = true;
    try {
      const body = { yaml: yamlText.value, original };
      const metadata = (value.metadata ?? {}) as { name?: string; namespace?: string };
      const stored = target
        ? await callApi<JsonObject>('PUT', `/api/stores/${target.namespace}/${target.name}`, body)
        : await callApi<JsonObject>('POST', '/api/stores', body);
      const storedMetadata = (stored.metadata ?? metadata) as { name?: string; namespace?: string };
      location.hash = `#/stores/${storedMetadata.namespace ?? 'default'}/${storedMetadata.name ?? ''}`;
    } catch (error) {
      if (error instanceof ConsoleApiError) form.showErrors(error.fieldErrors.length ? error.fieldErrors : [{ field: '', message: error.message }]);
      submit.disabled = false;
    }
  });

  drawForm();
  yamlText.value = toYaml(value);
  replaceChildren(root,
    el('h1', {}, target ? `Edit ${target.namespace}/${target.name}` : 'Create a store'),
    currentSession().readOnly ? el('div', { class: 'banner' }, 'Read-only console: the form dry-runs but cannot save.') : null,
    el('p', { class: 'muted' }, `Fields from the KVStore CRD's openAPIV3Schema (${source === 'cluster' ? 'as installed in the cluster' : "the console's built-in copy: you may not read CRDs"}). Leave a field empty for the webhook's default.`),
    el('div', { class: 'editor' },
      formHolder,
      el('div', {},
        el('h2', {}, 'YAML'), yamlText,
        el('div', { class: 'toolbar' }, submit, status),
        el('h2', {}, 'After admission (defaults filled in by the webhook)'), admittedText)));
  if (target) dryRun({ object: value });
}
