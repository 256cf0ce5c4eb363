/**
 * Turns policy violations into an admission decision: any Enforce violation denies (403, every violated rule listed
 * with its policy's name, so one round trip shows everything to fix); Warn violations become warnings; Audit ones are
 * only recorded (metrics). Pure.
 */
import type { PolicyViolation } from '../policy/policy-port.js';

export interface PolicyVerdict {
  /** Set when the request must be denied (403). */
  denial?: string;
  warnings: string[];
  enforced: PolicyViolation[];
  warned: PolicyViolation[];
  audited: PolicyViolation[];
}

/**
 * `KVPolicy "name": <message>`. The engine's messages already start that way (audit records use them as they are);
 * a second prefix would name the policy twice.
 */
export function describeViolation(violation: PolicyViolation): string {
  const prefix = `KVPolicy ${JSON.stringify(violation.policy)}: `;
  return violation.message.startsWith(prefix) ? violation.message : `${prefix}${violation.message}`;
}

export function decidePolicy(violations: readonly PolicyViolation[]): PolicyVerdict {
  const enforced = violations.filter((v) => v.enforcement === 'Enforce');
  const warned = violations.filter((v) => v.enforcement === 'Warn');
  const audited = violations.filter((v) => v.enforcement === 'Audit');
  const verdict: PolicyVerdict = { warnings: warned.map(describeViolation), enforced, warned, audited };
  if (enforced.length > 0) {
    verdict.denial = enforced.map(describeViolation).join('; ');
  }
  return verdict;
}
