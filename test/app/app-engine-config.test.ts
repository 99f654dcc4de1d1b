import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultAppSettings, engineConfigFromSettings, modelSetFor, type HardwareProfile } from '../../src-main/app/engine-config';
import { detectHardware } from '../../src-main/app/hardware';
import { ModelsService } from '../../src-main/app/models-service';
import { openSettingsStore } from '../../src-main/app/settings';
import { mergeConfig, resolveConfig } from '../../src-main/shared/config';
import { planThreads } from '../../src-main/engine/stages/threads';
import { defaultManifest } from '../../src-main/models/manifest';
import { projectRoot } from '../../src-main/tools/dev/shared-data';

const cpu4: HardwareProfile = { gpu: false, cores: 4 };
const gpu8: HardwareProfile = { gpu: true, cores: 8, gpuName: 'An NVIDIA GPU (CUDA)' };

describe('defaults follow the hardware', () => {
  it('starts CPU-only machines on the CPU set, automatic threads, Kokoro on the CPU, echo guard on', () => {
    const s = defaultAppSettings(cpu4);
    expect(s).toMatchObject({ gpu: false, threads: 'auto', ttsDevice: 'cpu', ttsDtype: 'auto', headphones: false });
    expect(defaultAppSettings(gpu8).gpu).toBe(true);
    expect(modelSetFor(cpu4)).toEqual({ gpu: false, reason: expect.stringMatching(/No supported GPU found.*CPU set.*4 CPU cores/) as string });
    expect(modelSetFor(gpu8)).toEqual({ gpu: true, reason: expect.stringMatching(/^An NVIDIA GPU \(CUDA\) found: the GPU set/) as string });
  });

  it('"automatic" threads are the measured plan for the core count; a typed number overrides STT and LLM only', () => {
    for (const cores of [1, 2, 4, 8, 16]) {
      const config = resolveConfig(engineConfigFromSettings(defaultAppSettings({ gpu: false, cores }), { gpu: false, cores }));
      const plan = planThreads(cores);
      expect({ stt: config.stt.threads, llm: config.llm.threads, tts: config.tts.threads }).toEqual({ stt: plan.stt, llm: plan.llm, tts: plan.tts });
    }
    const typed = resolveConfig(engineConfigFromSettings({ ...defaultAppSettings(cpu4), threads: 3 }, cpu4));
    expect({ stt: typed.stt.threads, llm: typed.llm.threads, tts: typed.tts.threads }).toEqual({ stt: 3, llm: 3, tts: planThreads(4).tts });
  });

  it('maps every engine-facing setting, GPU off/on, Kokoro device and precision, headphones', () => {
    const settings = { ...defaultAppSettings(gpu8), voice: 'am_adam', speed: 1.25, endOfTurnSilenceMs: 450, mode: 'push-to-talk' as const, ttsDevice: 'cuda' as const, ttsDtype: 'fp16' as const, headphones: true };
    const config = resolveConfig(engineConfigFromSettings(settings, gpu8));
    expect(config.tts).toMatchObject({ voice: 'am_adam', speed: 1.25, device: 'cuda' });
    expect(config.models.ttsDtype).toBe('fp16');
    expect(config.vad.endOfTurnSilenceMs).toBe(450);
    expect(config.turn.mode).toBe('push-to-talk');
    expect(config.llm.gpu).toBe('auto');
    expect(config.stt.gpu).toBe(true);
    expect(config.echo.enabled).toBe(false);
    const off = resolveConfig(engineConfigFromSettings({ ...settings, gpu: false, headphones: false }, gpu8));
    expect(off.llm.gpu).toBe('off');
    expect(off.stt.gpu).toBe(false);
    expect(off.echo.enabled).toBe(true);
  });

  it('works as a configure patch: clearing the system prompt restores the default instead of keeping the old one', () => {
    const base = resolveConfig();
    const custom = mergeConfig(base, engineConfigFromSettings({ ...defaultAppSettings(cpu4), systemPrompt: 'Answer like a pirate.' }, cpu4));
    expect(custom.llm.systemPrompt).toBe('Answer like a pirate.');
    const cleared = mergeConfig(custom, engineConfigFromSettings({ ...defaultAppSettings(cpu4), systemPrompt: '   ' }, cpu4));
    expect(cleared.llm.systemPrompt).toBe(base.llm.systemPrompt);
  });
});

describe('settings files from earlier versions', () => {
  it('turn the old stored default of 2 threads into "automatic", keep a chosen number, and fill new keys from the hardware', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'murmur-settings-'));
    try {
      const file = path.join(dir, 'settings.json');
      writeFileSync(file, JSON.stringify({ theme: 'dark', threads: 2, gpu: true, voice: 'af_bella' }));
      expect(openSettingsStore(file, cpu4).get()).toMatchObject({ theme: 'dark', threads: 'auto', gpu: true, voice: 'af_bella', ttsDevice: 'cpu', headphones: false });
      writeFileSync(file, JSON.stringify({ threads: 6 }));
      expect(openSettingsStore(file, cpu4).get().threads).toBe(6);
      writeFileSync(file, JSON.stringify({ threads: 2, ttsDevice: 'cpu' })); // written by this version: a choice
      expect(openSettingsStore(file, cpu4).get().threads).toBe(2);
      writeFileSync(file, JSON.stringify({ threads: 0 }));
      const problems: string[] = [];
      expect(openSettingsStore(file, gpu8, (m) => problems.push(m)).get()).toEqual(defaultAppSettings(gpu8));
      expect(problems).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hardware detection', () => {
  it("agrees with node-llama-cpp's own GPU detection on this machine, and is fast (a file probe, no download)", async () => {
    const started = performance.now();
    const hw = await detectHardware();
    const ms = performance.now() - started;
    const { getLlamaGpuTypes } = await import('node-llama-cpp');
    const expectedGpu = (await getLlamaGpuTypes('supported')).some((t) => t !== false);
    expect(hw).toMatchObject({ gpu: expectedGpu, cores: availableParallelism() });
    // a file probe, not a build or a download: generous for a loaded 2-core machine
    expect(ms).toBeLessThan(20_000);
  });

  it('names the GPU it found, and treats a failing or hanging probe as "no GPU"', async () => {
    expect(await detectHardware(async () => ['cuda', false])).toMatchObject({ gpu: true, gpuName: 'An NVIDIA GPU (CUDA)' });
    expect(await detectHardware(async () => ['metal'])).toMatchObject({ gpu: true, gpuName: 'Apple silicon (Metal)' });
    expect(await detectHardware(async () => [false])).toMatchObject({ gpu: false });
    expect(await detectHardware(() => Promise.reject(new Error('no binary')))).toMatchObject({ gpu: false });
    expect(await detectHardware(() => new Promise(() => {}), 50)).toMatchObject({ gpu: false });
  });
});

describe('models the settings need (first-run screen)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'murmur-models-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A model folder whose files have the manifest's sizes (sparse: the store checks sizes). */
  function install(id: string): void {
    const entry = defaultManifest().models.find((m) => m.id === id);
    if (!entry) throw new Error(`no manifest entry ${id}`);
    for (const f of entry.files) {
      const file = path.join(dir, id, f.path);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, '');
      truncateSync(file, f.bytes);
    }
  }

  it('wants the hardware set with fp32 Kokoro, or an installed alternative Kokoro, or the precision chosen in Settings', () => {
    let dtype: 'auto' | 'fp16' = 'auto';
    let gpu = false;
    const service = new ModelsService({ userModelsDir: dir, gpu: () => gpu, ttsDtype: () => dtype });
    const ids = (): string[] => service.wanted().map((e) => e.id);
    expect(ids()).toEqual(['silero-vad', 'whisper-base.en', 'qwen2.5-0.5b-instruct-q4_k_m', 'kokoro-82m-v1.0-fp32', 'smart-turn-v3']);
    // The end-of-turn model comes with the set, but nothing waits for it (turns end on silence without it).
    expect(service.list().find((m) => m.id === 'smart-turn-v3')).toMatchObject({ active: true, required: false, installed: false });
    gpu = true;
    expect(ids()).toContain('qwen2.5-1.5b-instruct-q4_k_m');
    gpu = false;
    install('kokoro-82m-v1.0-q8'); // what an earlier version installed by default
    expect(ids()).toContain('kokoro-82m-v1.0-q8');
    expect(service.list().find((m) => m.id === 'kokoro-82m-v1.0-q8')).toMatchObject({ required: true, installed: true });
    dtype = 'fp16';
    expect(ids()).toContain('kokoro-82m-v1.0-fp16');
    expect(service.list().find((m) => m.id === 'kokoro-82m-v1.0-fp16')).toMatchObject({ required: true, installed: false });
  });
});

describe('npm run models -- list', () => {
  it("marks the set for this machine's hardware as the default, with the reason (the CPU set without a GPU)", async () => {
    const hasGpu = (await detectHardware()).gpu;
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'src-main/tools/cli/models.ts', 'list'], {
      cwd: projectRoot(),
      encoding: 'utf8',
      env: { ...process.env, VOICE_MODELS_DIR: mkdtempSync(path.join(tmpdir(), 'murmur-list-')) },
    });
    expect(out).toMatch(/default set: cpu 964\.9 MB \(silero-vad, whisper-base\.en, qwen2\.5-0\.5b-instruct-q4_k_m, kokoro-82m-v1\.0-fp32, smart-turn-v3\)/);
    expect(out).toMatch(/smart-turn-v3 +turn /);
    const marked = out.split('\n').filter((l) => l.endsWith('← default on this machine'));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatch(hasGpu ? /^\s+gpu / : /^default set: cpu /);
    expect(out).toMatch(hasGpu ? /this machine: .* found: the GPU set/ : /this machine: No supported GPU found/);
  }, 60_000);
});
