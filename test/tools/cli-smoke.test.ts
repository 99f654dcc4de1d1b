import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot, sharedPath } from '../../src-main/tools/dev/shared-data';

const root = projectRoot();
const out = mkdtempSync(path.join(tmpdir(), 'murmur-cli-'));

function run(script: string, args: string[], nodeArgs: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('talk CLI', () => {
  it('prints one JSON turn with every event in causal order and reply audio (--models standin)', () => {
    const r = run('src-main/tools/cli/talk.ts', ['--in', sharedPath('speech/jfk.wav'), '--models', 'standin', '--json', '--out', path.join(out, 'reply.wav')]);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const turns = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as { turn: number; transcript: string; reply: string; events: Record<string, number>; audio_samples: number; backends: Record<string, string>; interrupted: boolean });
    const complete = turns.filter((t) => !t.interrupted && t.audio_samples > 0);
    expect(complete.length).toBeGreaterThan(0);
    const turn = complete.at(-1)!;
    const order = ['speech_start', 'speech_end', 'stt_final', 'llm_request', 'llm_first_token', 'first_unit_ready', 'tts_first_audio', 'playback_start', 'turn_done'];
    for (const mark of [...order, 'eot_confirmed', 'llm_done', 'tts_done']) expect(turn.events[mark], mark).toBeTypeOf('number');
    for (let i = 1; i < order.length; i++) expect(turn.events[order[i]!]!).toBeGreaterThanOrEqual(turn.events[order[i - 1]!]!);
    expect(Object.keys(turn.backends)).toEqual(['vad', 'stt', 'llm', 'tts']);
    expect(readFileSync(path.join(out, 'reply.wav')).subarray(0, 4).toString()).toBe('RIFF');
  });

  it('fails clearly with --models default when the real models are absent', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/tools/cli/talk.ts', '--in', sharedPath('speech/jfk.wav'), '--models', 'default', '--fast'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, VOICE_MODELS_DIR: path.join(out, 'empty-models'), HOME: path.join(out, 'home'), XDG_CONFIG_HOME: path.join(out, 'xdg') },
    });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/is not installed.*npm run models -- download/s);
  });
});

describe('bench and soak smoke', () => {
  it('bench: 2 clips with the sequential baseline writes the JSON report', () => {
    const json = path.join(out, 'bench.json');
    const r = run('src-main/tools/cli/bench.ts', ['--clips', sharedPath('speech'), '--models', 'standin', '--limit', '2', '--baseline', 'sequential', '--json', json, '--svg', path.join(out, 'bench.svg')]);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown> & { voice_to_voice_ms: { p50: number }; baseline: { voice_to_voice_ms: { p50: number } }; turns: unknown[] };
    for (const key of ['clips', 'models', 'voice_to_voice_ms', 'stages_ms', 'overhead_ms', 'peak_rss_mb', 'baseline', 'speedup_p50', 'turns']) expect(report).toHaveProperty(key);
    expect(report.clips).toBe(2);
    expect(report.voice_to_voice_ms.p50).toBeGreaterThan(0);
    expect(report.baseline.voice_to_voice_ms.p50).toBeGreaterThan(0);
    expect(readFileSync(path.join(out, 'bench.svg'), 'utf8')).toContain('<svg');
  });

  it('soak: a short run reports memory, handles and latency', () => {
    const json = path.join(out, 'soak.json');
    const r = run('src-main/tools/cli/soak.ts', ['--turns', '8', '--warmup', '3', '--models', 'standin', '--clips', sharedPath('speech'), '--max-growth', '50', '--json', json], ['--expose-gc']);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { turns: number; rss_mb: { growthPercent: number }; handles: { end: number }; errors: number };
    expect(report.turns).toBe(8);
    expect(report.errors).toBe(0);
    expect(report.handles.end).toBeLessThan(20);
  });
});
