/**
 * The create/edit form, drawn from the CRD's openAPIV3Schema alone: every property becomes a field, with its
 * description as help, its enum as a select, its bounds as input limits, its default as a placeholder. A field the
 * CRD gains appears with no change here. Objects are fieldsets; maps, lists of objects and free-form values are
 * JSON text; lists of strings are one item per line. A field left empty stays unset, so the webhook's defaults apply.
 */
import { el, type Child } from './dom.js';
import { fieldForError, valueAt, withValueAt, type JsonObject } from './object-paths.js';

export interface JsonSchema {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  required?: string[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export interface FieldError {
  field: string;
  message: string;
}

export interface SchemaForm {
  element: HTMLElement;
  /** every field path the form draws (`spec.replicas`), for placing errors */
  paths: ReadonlySet<string>;
  showErrors(errors: readonly FieldError[]): void;
  /** the dry-run's answer: what the API server and webhook would store; unset fields show it as placeholder */
  showAdmitted(admitted: JsonObject): void;
}

interface Input {
  path: string[];
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  kind: 'string' | 'integer' | 'number' | 'boolean' | 'enum' | 'lines' | 'json';
  error: HTMLElement;
}

function kindOf(schema: JsonSchema): Input['kind'] {
  if (schema.enum) return 'enum';
  if (schema['x-kubernetes-int-or-string']) return 'string';
  if (schema.type === 'integer' || schema.type === 'number' || schema.type === 'boolean' || schema.type === 'string') return schema.type;
  if (schema.type === 'array' && schema.items?.type === 'string' && !schema.items.enum) return 'lines';
  return 'json';
}

function display(kind: Input['kind'], value: unknown): string {
  if (value === undefined || value === null) return '';
  if (kind === 'lines' && Array.isArray(value)) return value.join('\n');
  if (kind === 'json') return JSON.stringify(value, null, 1);
  return String(value);
}

/** The value a control holds; undefined when empty (left to the defaults); throws on malformed JSON. */
function parseControl(input: Input): unknown {
  const text = input.control.value;
  if (text.trim() === '') return undefined;
  switch (input.kind) {
    case 'integer': case 'number': return Number(text);
    case 'boolean': return text === 'true';
    case 'lines': return text.split('\n').map((line) => line.trim()).filter(Boolean);
    case 'json': return JSON.parse(text) as unknown;
    default: return /^\d+$/.test(text) && input.control.dataset.intOrString === 'true' ? Number(text) : text;
  }
}

function controlFor(kind: Input['kind'], schema: JsonSchema, id: string): Input['control'] {
  if (kind === 'enum' || kind === 'boolean') {
    const options = kind === 'boolean' ? ['true', 'false'] : (schema.enum ?? []).map(String);
    return el('select', { id }, el('option', { value: '' }, schema.default === undefined ? '(unset)' : `(default: ${String(schema.default)})`),
      ...options.map((option) => el('option', { value: option }, option)));
  }
  if (kind === 'lines' || kind === 'json') return el('textarea', { id, rows: kind === 'json' ? 3 : 2, cols: 48, placeholder: kind === 'json' ? 'JSON' : 'one per line' });
  return el('input', {
    id, type: kind === 'integer' || kind === 'number' ? 'number' : 'text', min: schema.minimum, max: schema.maximum,
    step: kind === 'integer' ? 1 : undefined, minlength: schema.minLength, maxlength: schema.maxLength,
    placeholder: schema.default === undefined ? '' : String(schema.default),
    'data-int-or-string': schema['x-kubernetes-int-or-string'] ? 'true' : undefined,
  });
}

function bounds(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  if (schema.pattern) parts.push(`pattern ${schema.pattern}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export function renderSchemaForm(schema: JsonSchema, initial: JsonObject, onChange: (value: JsonObject) => void): SchemaForm {
  let value = initial;
  const inputs: Input[] = [];
  const general = el('div', { class: 'field-error', 'data-path': '' });

  function field(name: string, propertySchema: JsonSchema, path: string[], depth: number): Child {
    const id = `field-${path.join('.')}`;
    if (propertySchema.type === 'object' && propertySchema.properties) {
      const hasValue = valueAt(value, path) !== undefined;
      const set = el('fieldset', { class: depth > 1 && !hasValue ? 'collapsed' : undefined, 'data-path': path.join('.') },
        el('legend', { onclick: (event: Event) => (event.currentTarget as HTMLElement).parentElement?.classList.toggle('collapsed') }, name),
        propertySchema.description ? el('div', { class: 'help' }, propertySchema.description) : null,
        ...Object.entries(propertySchema.properties).map(([child, childSchema]) => field(child, childSchema, [...path, child], depth + 1)));
      return set;
    }
    const kind = kindOf(propertySchema);
    const control = controlFor(kind, propertySchema, id);
    const input: Input = { path, control, kind, error: el('div', { class: 'field-error' }) };
    control.value = display(kind, valueAt(value, path));
    control.addEventListener(kind === 'enum' || kind === 'boolean' ? 'change' : 'input', () => {
      try {
        value = withValueAt(value, path, parseControl(input));
        input.error.textContent = '';
      } catch (error) {
        input.error.textContent = `not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
        return;
      }
      onChange(value);
    });
    inputs.push(input);
    return el('div', { class: 'field', 'data-path': path.join('.') },
      el('label', { for: id }, name, el('span', { class: 'muted' }, ` ${kind === 'json' ? (propertySchema.type ?? 'value') : kind}${bounds(propertySchema)}`)),
      control,
      propertySchema.description ? el('div', { class: 'help' }, propertySchema.description) : null,
      input.error);
  }

  const spec = schema.properties?.spec ?? { type: 'object', properties: {} };
  const metadataFields: JsonSchema = {
    type: 'object', properties: {
      name: { type: 'string', description: 'Name of the store (a DNS label: its pods are <name>-0, <name>-1, ...).' },
      namespace: { type: 'string', description: 'Namespace; default when empty.' },
    },
  };
  const element = el('form', { class: 'schema-form', onsubmit: (event: Event) => event.preventDefault() },
    general,
    field('metadata', metadataFields, ['metadata'], 0),
    field('spec', spec, ['spec'], 0));
  const paths = new Set(inputs.map((input) => input.path.join('.')));
  for (const set of element.querySelectorAll('fieldset')) paths.add(set.dataset.path ?? '');

  return {
    element,
    paths,
    showErrors(errors) {
      general.textContent = '';
      for (const input of inputs) input.error.textContent = '';
      for (const error of errors) {
        const path = fieldForError(error.field, paths);
        const input = inputs.find((candidate) => candidate.path.join('.') === path);
        const target = input?.error ?? general;
        if (input) input.control.closest('fieldset.collapsed')?.classList.remove('collapsed');
        target.append(el('div', { 'data-error-for': error.field }, `${error.field ? `${error.field}: ` : ''}${error.message}`));
      }
    },
    showAdmitted(admitted) {
      for (const input of inputs) {
        if (input.control instanceof HTMLSelectElement || input.control.value !== '') continue;
        const shown = valueAt(admitted, input.path);
        input.control.placeholder = shown === undefined ? '' : display(input.kind, shown);
      }
    },
  };
}
