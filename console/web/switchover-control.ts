/**
 * The Switchover action of a store's page. It sets the store's switchover annotation as the user (POST
 * .../switchover); the reconciler carries it out or refuses it and says so in an Event, which the page's feed
 * brings: the first Switchover* Event that was not there when the user asked is shown as the outcome. Built once per
 * page and moved into the actions card whenever that is redrawn, so a pending request is not forgotten.
 */
import { callApi, ConsoleApiError, currentSession } from './api.js';
import { el } from './dom.js';
import type { EventRow } from './feed-rows.js';

interface PodChoice {
  name: string;
  role: string;
  ready: boolean;
}

const OUTCOME_REASONS = new Set(['Switchover', 'SwitchoverRefused', 'SwitchoverFailed']);

export const SWITCHOVER_EXPLAINED = 'Switchover hands the master to an in-sync replica: writes pause briefly while it catches up '
  + '(well under a second; clients that retry see no error) and no acknowledged write is lost. The reconciler refuses it, '
  + 'with a Warning Event saying why, unless the store is Ready and the replica is ready and in sync, and never during a failover. '
  + 'It is not a failover: the failover history stays as it is. ';

const eventKey = (event: EventRow) => `${event.reason}|${event.message}|${event.count}|${event.time}`;

export interface SwitchoverControl {
  element: HTMLElement;
  /** Pods and Events as the feed pushes them: the target list and the outcome of a pending request. */
  update(pods: readonly PodChoice[], events: readonly EventRow[]): void;
}

export function switchoverControl(path: string, note: HTMLElement): SwitchoverControl {
  const readOnly = currentSession().readOnly;
  const target = el('select', { id: 'switchover-target', title: 'The replica to hand the master to' }, el('option', { value: 'any' }, 'any in-sync replica'));
  let seen = new Set<string>();
  let pending: string | undefined;
  const ask = async () => {
    const chosen = target.value;
    if (!confirm(`Hand the master over to ${chosen === 'any' ? 'the most caught-up ready replica' : chosen}?\n\n${SWITCHOVER_EXPLAINED}`)) return;
    note.textContent = `switchover to ${chosen}: asking the reconciler…`;
    note.className = 'muted';
    try {
      await callApi('POST', `${path}/switchover`, { target: chosen });
      pending = chosen;
      note.textContent = `switchover to ${chosen}: requested; waiting for the reconciler's Event…`;
    } catch (error) {
      note.textContent = `switchover: ${error instanceof ConsoleApiError && error.fieldErrors.length ? error.fieldErrors.map((cause) => `${cause.field} ${cause.message}`).join('; ') : (error as Error).message}`;
      note.className = 'error';
    }
  };
  const button = el('button', { type: 'button', id: 'switchover', disabled: readOnly, onclick: () => void ask() }, 'Switchover');
  return {
    element: el('span', { class: 'switchover' }, button, target),
    update(pods, events) {
      if (document.activeElement !== target) {
        const replicas = pods.filter((pod) => pod.role === 'replica' && pod.ready).map((pod) => pod.name);
        const current = [...target.options].slice(1).map((option) => option.value);
        if (current.join(',') !== replicas.join(',')) {
          const chosen = target.value;
          while (target.options.length > 1) target.remove(1);
          for (const name of replicas) target.add(el('option', { value: name }, name));
          target.value = replicas.includes(chosen) ? chosen : 'any';
        }
      }
      const outcomes = events.filter((event) => OUTCOME_REASONS.has(event.reason) && event.object.startsWith('KVStore/'));
      const fresh = outcomes.find((event) => !seen.has(eventKey(event)));
      // Events seen before the request (or an earlier outcome) are history, not this request's answer.
      if (pending === undefined || !fresh) {
        if (pending === undefined) seen = new Set(outcomes.map(eventKey));
        return;
      }
      note.textContent = `switchover to ${pending}: ${fresh.reason}: ${fresh.message}`;
      note.className = fresh.type === 'Normal' ? 'ok' : 'error';
      pending = undefined;
      seen = new Set(outcomes.map(eventKey));
    },
  };
}
