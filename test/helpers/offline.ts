import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs a node process without network, as an unprivileged user can:
 * - `namespace`: in a new user + network namespace (`unshare --user --map-root-user --net`), where
 *   the kernel allows unprivileged user namespaces: the process has only a downed `lo`;
 * - `guard`: otherwise, an in-process guard (`offline-probe.mjs` with MURMUR_OFFLINE_GUARD=1) that
 *   makes every connect, lookup, UDP send and fetch of Node's APIs fail.
 * Either way the probe runs inside the process (and its node children) and reports what it saw from
 * there: its own interfaces and every network attempt. MURMUR_OFFLINE_ISOLATION=guard forces the guard.
 */
export type OfflineIsolation = 'namespace' | 'guard';

export interface ProcessNetworkReport {
  pid: number;
  guard: boolean;
  /** The process's own interfaces (/proc/self/net/dev), null off Linux. */
  interfaces: string[] | null;
  attempts: string[];
}

export interface OfflineRun {
  isolation: OfflineIsolation;
  status: number | null;
  signal: NodeJS.Signals | null;
  error: Error | undefined;
  stdout: string;
  stderr: string;
  /** One report per node process that ran with the probe (the child and its node children). */
  reports: ProcessNetworkReport[];
}

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'offline-probe.mjs');
const UNSHARE = ['--user', '--map-root-user', '--net'];

let detected: OfflineIsolation | undefined;

/** Which isolation this machine gives an unprivileged user. */
export function offlineIsolation(): OfflineIsolation {
  if (process.env.MURMUR_OFFLINE_ISOLATION === 'guard') return 'guard';
  detected ??= spawnSync('unshare', [...UNSHARE, 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0 ? 'namespace' : 'guard';
  return detected;
}

export function describeIsolation(isolation: OfflineIsolation): string {
  return isolation === 'namespace'
    ? 'unprivileged user+network namespace (unshare --user --map-root-user --net)'
    : 'in-process socket guard (no unprivileged network namespaces on this machine)';
}

/** Runs `node <nodeArgs>` offline; the child's environment is `env` (default: this process's). */
export function runNodeOffline(
  nodeArgs: string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): OfflineRun {
  const isolation = offlineIsolation();
  const dir = mkdtempSync(path.join(tmpdir(), 'murmur-offline-'));
  const reportFile = path.join(dir, 'network.jsonl');
  const base = options.env ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    // The probe first, so that it sees whatever later imports do.
    NODE_OPTIONS: `--import=${PROBE} ${base.NODE_OPTIONS ?? ''}`.trim(),
    MURMUR_OFFLINE_REPORT: reportFile,
    MURMUR_OFFLINE_GUARD: isolation === 'guard' ? '1' : '0',
  };
  const [command, args] =
    isolation === 'namespace' ? ['unshare', [...UNSHARE, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  try {
    const result = spawnSync(command, args, { cwd: options.cwd, env, encoding: 'utf8', timeout: options.timeoutMs });
    let reports: ProcessNetworkReport[] = [];
    try {
      reports = readFileSync(reportFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ProcessNetworkReport);
    } catch {
      // no process wrote a report: the caller's assertions on `reports` say so
    }
    return { isolation, status: result.status, signal: result.signal, error: result.error, stdout: result.stdout, stderr: result.stderr, reports };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
