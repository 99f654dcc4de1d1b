// Dev-only: loaded with `--import` (through NODE_OPTIONS, so node grandchildren load it too) into a
// process the offline tests run. It records every network attempt the process makes and, at exit,
// appends one JSON line to $MURMUR_OFFLINE_REPORT: the process's own network interfaces (read from
// inside it: a process in an empty network namespace sees only `lo`) and its attempts.
// With MURMUR_OFFLINE_GUARD=1 (machines without unprivileged network namespaces) it also blocks
// them: connects fail with ECONNREFUSED, lookups with ENOTFOUND, fetch rejects, UDP sends throw.
// It sees what goes through Node's net/dns/dgram/fetch, not sockets opened by native code.
import dgram from 'node:dgram';
import dns from 'node:dns';
import { appendFileSync, readFileSync } from 'node:fs';
import net from 'node:net';

const reportFile = process.env.MURMUR_OFFLINE_REPORT;
const block = process.env.MURMUR_OFFLINE_GUARD === '1';
const attempts = [];

const blockedError = (code, what) => Object.assign(new Error(`${what}: network disabled by the offline guard`), { code });

/** Attempts on the network, not local IPC (unix sockets and named pipes have a `path`). */
function describeConnect(args) {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    if ('path' in first && first.path) return undefined;
    return `connect ${first.host ?? 'localhost'}:${first.port}`;
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return `connect ${typeof second === 'string' ? second : 'localhost'}:${first}`;
  }
  return undefined;
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const normalized = Array.isArray(args[0]) ? args[0] : args;
  const attempt = describeConnect(normalized);
  if (attempt) {
    attempts.push(attempt);
    if (block) {
      process.nextTick(() => this.destroy(blockedError('ECONNREFUSED', attempt)));
      return this;
    }
  }
  return originalConnect.apply(this, args);
};

const originalLookup = dns.lookup;
dns.lookup = function lookup(hostname, ...rest) {
  attempts.push(`lookup ${hostname}`);
  if (!block) return originalLookup.call(this, hostname, ...rest);
  const callback = rest.at(-1);
  if (typeof callback === 'function') process.nextTick(() => callback(blockedError('ENOTFOUND', `lookup ${hostname}`)));
  return {};
};
const originalPromisesLookup = dns.promises.lookup;
dns.promises.lookup = async function lookup(hostname, ...rest) {
  attempts.push(`lookup ${hostname}`);
  if (block) throw blockedError('ENOTFOUND', `lookup ${hostname}`);
  return originalPromisesLookup.call(this, hostname, ...rest);
};

for (const method of ['send', 'connect']) {
  const original = dgram.Socket.prototype[method];
  dgram.Socket.prototype[method] = function udp(...args) {
    attempts.push(`udp ${method}`);
    if (block) throw blockedError('ENETUNREACH', `udp ${method}`);
    return original.apply(this, args);
  };
}

if (typeof globalThis.fetch === 'function') {
  const originalFetch = globalThis.fetch;
  globalThis.fetch = async function fetch(input, init) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    attempts.push(`fetch ${url}`);
    if (block) throw new TypeError('fetch failed', { cause: blockedError('ECONNREFUSED', `fetch ${url}`) });
    return originalFetch(input, init);
  };
}

/** Interface names as this process's kernel view lists them (its own network namespace). */
function ownInterfaces() {
  try {
    return readFileSync('/proc/self/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((line) => line.split(':')[0]?.trim())
      .filter(Boolean);
  } catch {
    return null; // not Linux
  }
}

if (reportFile) {
  process.on('exit', () => {
    const report = { pid: process.pid, guard: block, interfaces: ownInterfaces(), attempts };
    appendFileSync(reportFile, `${JSON.stringify(report)}\n`);
  });
}
