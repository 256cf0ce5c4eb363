/**
 * A one-way network partition on loopback: sockets owned by one uid can no longer open connections to one address,
 * while every other process (pods, clients, the test itself) still can. The sandbox's pods all live on 127.0.0.N and
 * every outgoing connection starts from 127.0.0.1, so the only thing that singles out one side is the socket's owner:
 * run the process to cut off (the operator) under its own uid, and add a policy-routing rule
 * `uidrange U-U to IP/32 prohibit` (connects fail with EACCES; established connections stall).
 *
 * Loopback destinations are resolved by the `local` table, whose rule sits at preference 0 and would win over any
 * rule added later. So the `local` rule is first duplicated at preference 1 and the original removed (traffic keeps
 * flowing through the copy at every moment), then the partition rule takes preference 0. Healing removes the rule
 * and, once no partition is left, puts `local` back at preference 0. Needs root (CAP_NET_ADMIN); no iptables.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { errorMessage } from '../../shared/error-message.js';

const run = promisify(execFile);

export interface PartitionOptions {
  /** Sockets owned by this uid are cut off. */
  uid: number;
  /** The address they can no longer reach (an IPv4 address, e.g. a pod IP). */
  toIp: string;
}

export interface Partition {
  /** Removes the rule; idempotent. */
  heal(): Promise<void>;
}

const LOCAL_PREFERENCE_MOVED = 1;

async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args, { timeout: 10_000 });
    return stdout;
  } catch (error) {
    throw new Error(`ip ${args.join(' ')} failed`, { cause: error });
  }
}

interface RuleLine {
  preference: number;
  text: string;
}

async function listRules(): Promise<RuleLine[]> {
  const out = await ip('-4', 'rule', 'show');
  return out.split('\n').filter((line) => line.trim() !== '').map((line) => {
    const [preference, ...rest] = line.split(':');
    return { preference: Number(preference), text: rest.join(':').trim() };
  });
}

const isLocalRule = (rule: RuleLine) => /^from all lookup local\b/.test(rule.text);
const isPartitionRule = (rule: RuleLine) => rule.preference === 0 && /\buidrange\b/.test(rule.text) && /\bprohibit\b/.test(rule.text);

/** Why partitions cannot be made here, or undefined when they can. */
export async function partitionUnsupportedReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'policy routing (ip rule) is Linux only';
  if (process.getuid?.() !== 0) return 'changing ip rules needs root';
  try {
    await listRules();
  } catch (error) {
    return `ip rule is not usable: ${errorMessage(error)}`;
  }
  return undefined;
}

/** Moves the `local` lookup from preference 0 to 1 without a moment where loopback has no route. */
async function moveLocalRuleAside(): Promise<void> {
  const rules = await listRules();
  if (!rules.some((rule) => rule.preference === LOCAL_PREFERENCE_MOVED && isLocalRule(rule))) {
    await ip('-4', 'rule', 'add', 'from', 'all', 'lookup', 'local', 'pref', String(LOCAL_PREFERENCE_MOVED));
  }
  if (rules.some((rule) => rule.preference === 0 && isLocalRule(rule))) {
    await ip('-4', 'rule', 'del', 'from', 'all', 'lookup', 'local', 'pref', '0');
  }
}

/** Puts `local` back at preference 0 once no partition rule needs it moved. */
async function restoreLocalRule(): Promise<void> {
  const rules = await listRules();
  if (rules.some(isPartitionRule)) return;
  if (!rules.some((rule) => rule.preference === 0 && isLocalRule(rule))) {
    await ip('-4', 'rule', 'add', 'from', 'all', 'lookup', 'local', 'pref', '0');
  }
  if (rules.some((rule) => rule.preference === LOCAL_PREFERENCE_MOVED && isLocalRule(rule))) {
    await ip('-4', 'rule', 'del', 'from', 'all', 'lookup', 'local', 'pref', String(LOCAL_PREFERENCE_MOVED));
  }
}

/** Cuts `uid` off from `toIp` until `heal()`. Always heal in a `finally` or an `after` hook. */
export async function partition(options: PartitionOptions): Promise<Partition> {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(options.toIp)) throw new Error(`partition: ${options.toIp} is not an IPv4 address`);
  if (!Number.isInteger(options.uid) || options.uid <= 0) throw new Error(`partition: uid ${options.uid} is not a non-root uid`);
  const rule = ['uidrange', `${options.uid}-${options.uid}`, 'to', `${options.toIp}/32`, 'prohibit', 'pref', '0'];
  await moveLocalRuleAside();
  try {
    await ip('-4', 'rule', 'add', ...rule);
  } catch (error) {
    await restoreLocalRule().catch(() => undefined);
    throw error;
  }
  let healed = false;
  return {
    async heal() {
      if (healed) return;
      healed = true;
      try {
        await ip('-4', 'rule', 'del', ...rule);
      } finally {
        await restoreLocalRule();
      }
    },
  };
}

/**
 * Tries one TCP connection from a child process running as `uid`: 'connected', or the error code (EACCES while
 * partitioned). Lets a test check that a partition really cuts off the process it means to cut off.
 */
export function connectAs(uid: number, host: string, port: number, timeoutMs = 3000): Promise<string> {
  const script = `const s=require('node:net').connect(${port},${JSON.stringify(host)});`
    + `s.setTimeout(${timeoutMs},()=>{console.log('ETIMEDOUT');process.exit(0)});`
    + `s.on('connect',()=>{console.log('connected');s.destroy()});s.on('error',(e)=>console.log(e.code||e.message))`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { uid, gid: uid, cwd: '/', stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.on('error', (error) => reject(new Error(`cannot run a connection check as uid ${uid}`, { cause: error })));
    child.on('exit', () => resolve(out.trim()));
  });
}
