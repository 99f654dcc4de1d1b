import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchJson } from '../../src-main/tools/bench/report';
import { projectRoot, sharedPath } from '../../src-main/tools/dev/shared-data';

const out = mkdtempSync(path.join(tmpdir(), 'murmur-bench-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// Real replies of the kind the replies file holds (written here: the shared file's text stays out of the repo).
const REPLIES = [
  'The tallest mountain in the world is Mount Everest, at about 8,849 metres above sea level.',
  'Here are three ideas: take a walk, call a friend, or read a book.',
  'To reset your password, open the settings page and choose "Forgot password".',
];

describe('bench smoke (2 clips, --models standin, real replies, every baseline)', () => {
  it('writes every report field, with first units taken from the replies file', () => {
    const replies = path.join(out, 'replies.jsonl');
    writeFileSync(replies, REPLIES.map((reply) => JSON.stringify({ model: 'test', reply })).join('\n') + '\n');
    const json = path.join(out, 'bench.json');
    const md = path.join(out, 'bench.md');
    const svg = path.join(out, 'bench.svg');
    const args = ['--clips', sharedPath('speech'), '--models', 'standin', '--limit', '2', '--replies', replies, '--baseline', 'peer,peer-hot,sequential', '--json', json, '--md', md, '--svg', svg];
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/tools/cli/bench.ts', ...args], { cwd: projectRoot(), encoding: 'utf8', timeout: 840_000 });
    expect(r.status, r.stderr.slice(-2000) + r.stdout.slice(-2000)).toBe(0);

    const report = JSON.parse(readFileSync(json, 'utf8')) as BenchJson;
    for (const key of [
      'config', 'replies', 'standin_rates', 'voice_to_voice_ms', 'stages_ms', 'overhead_ms', 'peer_baseline',
      'speedup_vs_peer_p50', 'speedup_vs_peer_p95', 'peer_hot_baseline', 'speedup_vs_peer_hot_p50', 'speedup_vs_peer_hot_p95', 'baseline', 'speedup_p50', 'first_unit_distribution', 'tts_cache_hit_rate', 'turns',
    ]) {
      expect(report, key).toHaveProperty(key);
    }
    expect(report.clips).toBe(2);
    for (const role of ['stt', 'llm', 'tts'] as const) expect(report.config.models[role]).toMatch(/\S/);
    expect(report.config.engine.vad.endOfTurnSilenceMs).toBe(300);
    // Smart end of turn, the app's default: the stand-in network runs at each pause behind a labelled oracle.
    expect(report.end_of_turn.policy).toBe('smart');
    expect(report.config.models.turn).toMatch(/oracle/);
    expect(report.turn_model_ms.calls).toBeGreaterThan(0);
    expect(report.turn_model_ms.p95).toBeGreaterThan(0);
    expect(report.end_of_turn.wait_ms.p50).toBeGreaterThan(0);
    expect(report.end_of_turn.silence_only_wait_ms?.p50).toBeGreaterThan(0);
    expect(report.config.overrides.join(' ')).toMatch(/llm\.maxTokens/);
    expect(report.replies).toEqual({ file: replies, count: 3 });
    for (const rate of ['ttsRealTimeFactor', 'sttRealTimeFactor', 'llmTokensPerSecond', 'llmPrefillTokensPerSecond'] as const) {
      expect(report.standin_rates[rate], rate).toBeGreaterThan(0);
    }
    expect(report.peer_baseline?.voice_to_voice_ms.p50).toBeGreaterThan(0);
    expect(report.peer_baseline?.voice_to_voice_ms).toHaveProperty('p99');
    expect(Object.keys(report.peer_baseline?.stages_ms ?? {})).toContain('tts_first_audio');
    expect(report.speedup_vs_peer_p50).toBeGreaterThan(0);
    expect(report.speedup_vs_peer_p95).toBeGreaterThan(0);
    expect(report.peer_hot_baseline?.voice_to_voice_ms.p50).toBeGreaterThan(0);
    expect(Object.keys(report.peer_hot_baseline?.stages_ms ?? {})).toContain('tts_first_audio');
    expect(report.speedup_vs_peer_hot_p50).toBeGreaterThan(0);
    expect(report.speedup_vs_peer_hot_p95).toBeGreaterThan(0);
    expect(report.first_unit_distribution?.ours.replies).toBe(3);
    // Reviewer material: stand-in audio is noise, so the report shows the first units' text.
    expect(report.first_unit_distribution?.ours.sampled).toHaveLength(3);
    expect(report.first_unit_distribution?.ours.most_common[0]?.count).toBeGreaterThan(0);
    expect(readFileSync(md, 'utf8')).toMatch(/sampled first units/);
    expect(report.tts_cache_hit_rate).toBeTypeOf('number'); // the engine's unit cache, measured over our run
    expect(report.tts_cache_hit_rate as number).toBeGreaterThanOrEqual(0);
    expect(report.tts_cache_hit_rate as number).toBeLessThanOrEqual(1);

    const pipelines = new Set(report.turns.map((t) => t.pipeline));
    expect([...pipelines].sort()).toEqual(['peer', 'peer-hot', 'sequential', 'streaming']);
    for (const turn of report.turns.filter((t) => t.voiceToVoiceMs !== undefined)) {
      expect(turn.reference).toContain(turn.transcript.split(' ')[0] ?? '');
      expect(turn.first_unit, `${turn.pipeline} ${turn.clip}`).toBeTruthy();
      expect(turn.first_unit_audio_ms).toBeGreaterThan(0);
      // Spoken text comes from the replies file, not from the model's own tokens.
      expect(REPLIES.some((reply) => reply.startsWith(turn.first_unit ?? '')), turn.first_unit ?? '').toBe(true);
      expect(turn.reply_text.startsWith(turn.first_unit ?? '')).toBe(true);
    }
    expect(readFileSync(md, 'utf8')).toMatch(/peer baseline/);
    expect(readFileSync(md, 'utf8')).toMatch(/peer-hot baseline/);
    expect(readFileSync(svg, 'utf8')).toContain('peer baseline');
  }, 900_000);
});

describe('bench smoke on the CPU default shapes (1 clip, --models standin-real, peer-hot)', () => {
  it("runs whisper base.en's, Qwen2.5-0.5B's and Kokoro-82M's networks and reports their rates", () => {
    const replies = path.join(out, 'replies-real.jsonl');
    writeFileSync(replies, REPLIES.map((reply) => JSON.stringify({ model: 'test', reply })).join('\n') + '\n');
    const json = path.join(out, 'bench-real.json');
    const args = ['--clips', sharedPath('speech'), '--models', 'standin-real', '--limit', '1', '--replies', replies, '--baseline', 'peer-hot', '--json', json];
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/tools/cli/bench.ts', ...args], { cwd: projectRoot(), encoding: 'utf8', timeout: 840_000 });
    expect(r.status, r.stderr.slice(-2000) + r.stdout.slice(-2000)).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as BenchJson;
    expect(report.config.models.tts).toMatch(/Kokoro-82M v1\.0 network/);
    expect(report.config.models.stt).toMatch(/base\.en/);
    expect(report.config.models.llm).toMatch(/Qwen2\.5-0\.5B/);
    for (const rate of ['ttsRealTimeFactor', 'sttRealTimeFactor', 'llmTokensPerSecond'] as const) {
      expect(report.standin_rates[rate], rate).toBeGreaterThan(0);
    }
    expect(report.voice_to_voice_ms.p50).toBeGreaterThan(0);
    expect(report.peer_hot_baseline?.voice_to_voice_ms.p50).toBeGreaterThan(0);
    expect(Object.keys(report.stages_ms)).toContain('tts_first_audio');
  }, 900_000);
});
