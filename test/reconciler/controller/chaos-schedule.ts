/**
 * The fault schedule of the randomized failover test: repeated and overlapping kill -9 and SIGSTOP of the master and
 * the replicas, and SIGKILL of the reconciler itself, drawn from a seeded generator so a failing run can be replayed
 * with the seed it prints. Pure: the test executes the steps.
 */
import { seededRandom } from '../../helpers/seeded-random.js';

export type FaultTarget = 'master' | 'replica';

export type Fault =
  | { kind: 'kill'; target: FaultTarget }
  | { kind: 'freeze'; target: FaultTarget; forMs: number }
  | { kind: 'killReconciler'; downForMs: number };

export interface ScheduledFault {
  /** Pause before this fault, counted from the previous one: faults overlap, nothing waits for recovery. */
  afterMs: number;
  fault: Fault;
}

const between = (random: () => number, low: number, high: number) => Math.round(low + random() * (high - low));

/**
 * `rounds` faults, the master hit most often (it is what failover is for). Every kind appears in any schedule of six
 * or more rounds, so the short CI run still covers each.
 */
export function buildSchedule(seed: number, rounds: number): ScheduledFault[] {
  const random = seededRandom(seed);
  const kinds: Array<() => Fault> = [
    () => ({ kind: 'kill', target: 'master' }),
    () => ({ kind: 'freeze', target: 'master', forMs: between(random, 1500, 4000) }),
    () => ({ kind: 'kill', target: 'replica' }),
    () => ({ kind: 'killReconciler', downForMs: between(random, 300, 2500) }),
    () => ({ kind: 'freeze', target: 'replica', forMs: between(random, 1000, 3000) }),
    () => ({ kind: 'kill', target: 'master' }),
  ];
  const schedule: ScheduledFault[] = [];
  for (let round = 0; round < rounds; round++) {
    // The first six rounds take each kind once (in a seeded order); the rest are drawn, the master weighted.
    const pick = round < kinds.length ? kinds[(round + seed) % kinds.length]! : kinds[Math.floor(random() * kinds.length)]!;
    schedule.push({ afterMs: between(random, 800, 3000), fault: pick() });
  }
  return schedule;
}

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'kill': return `kill -9 ${fault.target}`;
    case 'freeze': return `SIGSTOP ${fault.target} for ${fault.forMs} ms`;
    case 'killReconciler': return `kill -9 reconciler, down ${fault.downForMs} ms`;
  }
}
