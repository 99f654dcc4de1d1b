import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppSettingsSchema } from '../../app/ipc-schemas';
import { openSettingsStore } from '../../app/settings';
import { decodeWav, WavFormatError } from '../../audio/wav';
import { SpeechChunker } from '../../engine/text/chunker';
import { cleanForSpeech } from '../../engine/text/clean-for-speech';
import { validateGgufFile } from '../../engine/stages/llm/gguf-file';
import { validateWhisperModelFile } from '../../engine/stages/stt/ggml-file';
import { decodeMicFrame } from '../../shared/framing';
import { MAX_AUDIO_FRAME_SAMPLES, parseCommand, parseJsonControl, type EngineCommand } from '../../shared/protocol';
import { fixturesDir } from '../dev/shared-data';
import { mutatedBytes } from './mutate';

/** What one case did: fine (a result that keeps the invariant, or the parser's own clear error), or not. */
export type Verdict = { ok: true } | { ok: false; kind: 'crash' | 'garbage'; detail: string };

export interface FuzzTarget<Input = unknown> {
  name: string;
  arbitrary: fc.Arbitrary<Input>;
  run(input: Input): Promise<Verdict> | Verdict;
  /** Shown with a failing case (a short description of the input). */
  describe(input: Input): string;
  dispose?(): void;
}

const OK: Verdict = { ok: true };
const crash = (error: unknown): Verdict => ({ ok: false, kind: 'crash', detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
const garbage = (detail: string): Verdict => ({ ok: false, kind: 'garbage', detail });
const bytesOf = (bytes: Uint8Array): string => `${bytes.length} bytes, head ${Buffer.from(bytes.subarray(0, 48)).toString('hex')}`;

/** WAV: a clear WavFormatError, or samples in [−1, 1] whose length follows from the header. */
function wavTarget(): FuzzTarget<Uint8Array> {
  const dirs = ['speech', 'echo'].map((d) => path.join(fixturesDir(), d));
  const seeds = dirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.wav')).map((f) => new Uint8Array(readFileSync(path.join(dir, f)))));
  // Small seeds mutate faster and reach every branch as well: the first 4 KiB of each file.
  const heads = seeds.map((s) => s.slice(0, 4096));
  return {
    name: 'wav',
    arbitrary: fc.oneof({ weight: 9, arbitrary: mutatedBytes(heads) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) }),
    describe: bytesOf,
    run(bytes) {
      let audio;
      try {
        audio = decodeWav(bytes, 'fuzz.wav');
      } catch (error) {
        return error instanceof WavFormatError ? OK : crash(error);
      }
      if (!(audio.sampleRate > 0) || !Number.isFinite(audio.sampleRate)) return garbage(`sample rate ${audio.sampleRate}`);
      if (!(audio.channels >= 1)) return garbage(`${audio.channels} channels`);
      // No format packs a sample into less than 4 bits (IMA ADPCM): more samples than that cannot come from the data.
      if (audio.samples.length > 2 * bytes.length) return garbage(`${audio.samples.length} samples from ${bytes.length} bytes`);
      const expectedMs = (audio.samples.length * 1000) / audio.sampleRate;
      if (Math.abs(audio.durationMs - expectedMs) > 1) return garbage(`duration ${audio.durationMs} ms for ${audio.samples.length} samples at ${audio.sampleRate} Hz`);
      for (let i = 0; i < audio.samples.length; i++) {
        const v = audio.samples[i] as number;
        if (!(v >= -1 && v <= 1)) return garbage(`sample ${i} is ${v}`);
      }
      return OK;
    },
  };
}

/** A file-based validator: resolves, or rejects with an Error that names the file. */
function fileTarget(
  name: string,
  seedFiles: string[],
  validate: (file: string) => Promise<unknown>,
  check: (result: unknown, bytes: Uint8Array) => string | undefined,
  seedBytes = Infinity,
): FuzzTarget<Uint8Array> {
  const seeds = seedFiles.map((f) => new Uint8Array(readFileSync(f)).slice(0, seedBytes));
  const dir = mkdtempSync(path.join(os.tmpdir(), `murmur-fuzz-${name}-`));
  let n = 0;
  return {
    name,
    arbitrary: mutatedBytes(seeds),
    describe: bytesOf,
    async run(bytes) {
      const file = path.join(dir, `case-${n++ % 4}.bin`);
      writeFileSync(file, bytes);
      let result: unknown;
      try {
        result = await validate(file);
      } catch (error) {
        if (error instanceof Error && error.constructor === Error && error.message.includes(file)) return OK;
        return crash(error);
      }
      const problem = check(result, bytes);
      return problem ? garbage(problem) : OK;
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function ggufTarget(): FuzzTarget<Uint8Array> {
  // The check reads the magic and the size: the first 4 KiB of a real GGUF is seed enough.
  return fileTarget(
    'gguf',
    [path.join(fixturesDir(), 'models/llm/stories260K.gguf')],
    validateGgufFile,
    (size, bytes) => (size === bytes.length ? undefined : `validated size ${String(size)} for a ${bytes.length}-byte file`),
    4096,
  );
}

function ggmlTarget(): FuzzTarget<Uint8Array> {
  const dir = path.join(fixturesDir(), 'models/whisper');
  const files = readdirSync(dir).filter((f) => f.endsWith('.bin')).map((f) => path.join(dir, f));
  return fileTarget('ggml', files, validateWhisperModelFile, (info, bytes) => {
    const { hparams, tensors, fileBytes } = info as Awaited<ReturnType<typeof validateWhisperModelFile>>;
    if (fileBytes !== bytes.length) return `fileBytes ${fileBytes} for a ${bytes.length}-byte file`;
    if (!(tensors >= 0)) return `${tensors} tensors`;
    for (const [key, value] of Object.entries(hparams)) if (!Number.isInteger(value)) return `hparam ${key} = ${String(value)}`;
    return undefined;
  });
}

const VALID_COMMANDS: EngineCommand[] = [
  { type: 'ptt', pressed: true },
  { type: 'set_mode', mode: 'push-to-talk' },
  { type: 'mute', muted: false },
  { type: 'cancel' },
  { type: 'playback_started', turn: 3 },
  { type: 'unit_played', turn: 3, unit: 1 },
  { type: 'configure', patch: { vad: { threshold: 0.6 } } },
  { type: 'text_input', text: 'what time is it?' },
  { type: 'clear_history' },
  { type: 'get_history' },
];

/** The protocol's rules, written out independently of the schema: what an accepted command must be. */
function commandProblem(value: EngineCommand): string | undefined {
  const keys = Object.keys(value).sort().join(',');
  const isNat = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  switch (value.type) {
    case 'audio':
      if (!(value.samples instanceof Float32Array) || value.samples.length > MAX_AUDIO_FRAME_SAMPLES) return 'audio samples';
      return Number.isInteger(value.sampleRate) && keys === 'sampleRate,samples,type' ? undefined : 'audio fields';
    case 'ptt':
      return typeof value.pressed === 'boolean' && keys === 'pressed,type' ? undefined : 'ptt fields';
    case 'set_mode':
      return (value.mode === 'push-to-talk' || value.mode === 'always-listening') && keys === 'mode,type' ? undefined : 'set_mode fields';
    case 'mute':
      return typeof value.muted === 'boolean' && keys === 'muted,type' ? undefined : 'mute fields';
    case 'playback_started':
      return isNat(value.turn) && keys === 'turn,type' ? undefined : 'playback_started fields';
    case 'unit_played':
      return isNat(value.turn) && isNat(value.unit) && keys === 'turn,type,unit' ? undefined : 'unit_played fields';
    case 'configure': {
      const patch = value.patch as unknown;
      const sections = patch && typeof patch === 'object' && !Array.isArray(patch) ? Object.values(patch) : undefined;
      const ok = sections?.every((s) => s !== null && typeof s === 'object' && !Array.isArray(s));
      return ok && keys === 'patch,type' ? undefined : 'configure patch';
    }
    case 'text_input':
      return typeof value.text === 'string' && value.text.length >= 1 && value.text.length <= 4000 && keys === 'text,type' ? undefined : 'text_input fields';
    case 'cancel':
    case 'clear_history':
    case 'get_history':
      return keys === 'type' ? undefined : `${value.type} fields`;
    default:
      return `unknown type ${(value as { type: unknown }).type as string}`;
  }
}

type ProtocolInput = { kind: 'json'; text: string } | { kind: 'value'; value: unknown } | { kind: 'mic'; bytes: Uint8Array };

/** The engine's command protocol (web socket JSON, IPC values, binary mic frames): never throws, never accepts an invalid command. */
function protocolTarget(): FuzzTarget<ProtocolInput> {
  const valid = fc.constantFrom(...VALID_COMMANDS);
  const mutatedCommand = fc.tuple(valid, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), fc.boolean()).map(([command, extra, replace]) => {
    const merged: Record<string, unknown> = replace ? { type: command.type, ...extra } : { ...command, ...extra };
    return merged;
  });
  const audioCommand = fc.record({
    type: fc.constant('audio'),
    sampleRate: fc.oneof(fc.constant(16000), fc.double(), fc.integer()),
    samples: fc.oneof(fc.float32Array({ maxLength: 64 }), fc.constant(new Float32Array(MAX_AUDIO_FRAME_SAMPLES + 1)), fc.array(fc.double(), { maxLength: 4 })),
  });
  const text = fc.oneof(
    mutatedCommand.map((v) => JSON.stringify(v)),
    valid.map((v) => JSON.stringify(v)).chain((s) => fc.tuple(fc.nat(s.length), fc.nat(s.length)).map(([a, b]) => s.slice(0, Math.min(a, b)) + s.slice(Math.max(a, b)))),
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 200 }),
  );
  return {
    name: 'protocol',
    arbitrary: fc.oneof(
      text.map((t): ProtocolInput => ({ kind: 'json', text: t })),
      fc.oneof(mutatedCommand, audioCommand, fc.anything({ maxDepth: 2 })).map((v): ProtocolInput => ({ kind: 'value', value: v })),
      fc.uint8Array({ maxLength: 256 }).map((b): ProtocolInput => ({ kind: 'mic', bytes: b })),
    ),
    describe: (input) => (input.kind === 'mic' ? `mic frame ${bytesOf(input.bytes)}` : input.kind === 'json' ? `json ${JSON.stringify(input.text).slice(0, 300)}` : `value ${String(safeJson(input.value)).slice(0, 300)}`),
    run(input) {
      try {
        if (input.kind === 'mic') {
          try {
            const samples = decodeMicFrame(input.bytes);
            return samples.length * 4 === input.bytes.length && samples.length > 0 ? OK : garbage(`${samples.length} samples from ${input.bytes.length} bytes`);
          } catch (error) {
            return error instanceof Error && error.message.startsWith('mic frame:') ? OK : crash(error);
          }
        }
        const result = input.kind === 'json' ? parseJsonControl(input.text) : parseCommand(input.value);
        if (!result.ok) return typeof result.error === 'string' && result.error.length > 0 ? OK : garbage('rejected without a reason');
        const problem = commandProblem(result.value);
        return problem ? garbage(`accepted an invalid command (${problem})`) : OK;
      } catch (error) {
        return crash(error);
      }
    },
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** settings.json as a user, an old version or a crash may leave it: the store always yields valid settings. */
function settingsTarget(): FuzzTarget<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-fuzz-settings-'));
  const hw = { gpu: false, cores: 2 };
  const valid = JSON.stringify(openSettingsStore(path.join(dir, 'defaults.json'), hw).get());
  const seeds = [new TextEncoder().encode(valid), new TextEncoder().encode('{"theme":"dark","threads":2,"speed":1.5}')];
  const asText = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
  const objectText = fc
    .dictionary(fc.constantFrom(...Object.keys(JSON.parse(valid) as object), 'unknown', '__proto__', 'constructor'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 })
    .map((o) => JSON.stringify(o));
  return {
    name: 'settings',
    arbitrary: fc.oneof(mutatedBytes(seeds).map(asText), objectText, fc.json({ maxDepth: 2 }), fc.string({ maxLength: 100 })),
    describe: (text) => JSON.stringify(text).slice(0, 300),
    run(text) {
      const file = path.join(dir, 'settings.json');
      writeFileSync(file, text);
      try {
        const settings = openSettingsStore(file, hw, () => undefined).get();
        const check = AppSettingsSchema.safeParse(settings);
        return check.success ? OK : garbage(`invalid settings came out: ${check.error.issues[0]?.message ?? ''}`);
      } catch (error) {
        return crash(error);
      }
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A reply as an LLM streams it: words, punctuation, numbers, markdown, line breaks, other scripts.
 * No code fences: code is not spoken by design, so "every word comes out" does not hold for it.
 */
const replyText = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('the', 'a', 'Dr.', 'U.S.', 'e.g.', '3.14', '1,000', 'Mr', 'St.', 'Hello', 'world', 'it’s', "don't", 'naïve', '東京', 'Привет', '🙂') },
      { weight: 3, arbitrary: fc.constantFrom('.', '!', '?', ',', ';', ':', '…', ' - ', ' — ', '\n', '\n\n', '"', '(', ')', '*', '**', '_', '`', '#', '- ', '1. ', '|', '[', '](http://x.y)', '。', '！') },
      { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
    ),
    { maxLength: 80 },
  )
  .map((parts) => parts.join(' '));

/** The chunker and the markdown cleaner: however a reply is split into tokens, no text is lost, duplicated or reordered. */
function chunkerTarget(): FuzzTarget<{ text: string; cuts: number[]; options: { firstUnitMinWords: number; firstUnitMaxWords: number; maxUnitChars: number } }> {
  return {
    name: 'chunker',
    arbitrary: fc.record({
      text: replyText,
      cuts: fc.array(fc.nat(400), { maxLength: 40 }),
      options: fc.record({ firstUnitMinWords: fc.integer({ min: 1, max: 20 }), firstUnitMaxWords: fc.integer({ min: 0, max: 40 }), maxUnitChars: fc.integer({ min: 120, max: 1000 }) }),
    }),
    describe: (input) => JSON.stringify(input).slice(0, 400),
    run({ text, cuts, options }) {
      try {
        const at = [...new Set(cuts.filter((c) => c < text.length))].sort((a, b) => a - b);
        const pieces: string[] = [];
        let from = 0;
        for (const c of at) {
          pieces.push(text.slice(from, c));
          from = c;
        }
        pieces.push(text.slice(from));
        const chunker = new SpeechChunker(options);
        const units: string[] = [];
        for (const piece of pieces) units.push(...chunker.push(piece));
        units.push(...chunker.flush());
        // Words and numbers, in order: a unit of punctuation alone ("?", "—") has nothing to say and is dropped.
        const words = (s: string): string => s.normalize('NFC').replace(/[^\p{L}\p{N}]+/gu, '');
        if (words(units.join(' ')) !== words(cleanForSpeech(text))) {
          return garbage(`the units are not the cleaned text, in order: ${JSON.stringify(units)} vs ${JSON.stringify(cleanForSpeech(text))}`);
        }
        if (units.some((u) => !u.trim())) return garbage('an empty unit');
        return OK;
      } catch (error) {
        return crash(error);
      }
    },
  };
}

export function fuzzTargets(): FuzzTarget[] {
  return [wavTarget(), ggufTarget(), ggmlTarget(), protocolTarget(), settingsTarget(), chunkerTarget()] as FuzzTarget[];
}
