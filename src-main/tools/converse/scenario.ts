import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readWavAs16kMono } from '../../audio/wav';
import { energyTruth, speechExtent } from '../../audio/speech-extent';

/**
 * A conversation as a person has it (format: ../shared/scenarios/README.md): when the user speaks,
 * pauses and talks over the answer, and what the room sends back from the loudspeaker.
 */

const Anchor = z.enum(['speech_end', 'playback_start', 'answer_done']);
export type Anchor = z.infer<typeof Anchor>;

const Placement = z
  .object({
    at_ms: z.number().min(0).optional(),
    after: Anchor.optional(),
    offset_ms: z.number().min(0).default(0),
  })
  .refine((p) => (p.at_ms === undefined) !== (p.after === undefined), { message: 'give exactly one of "at_ms" or "after"' });

const UserEntry = z.union([
  z.object({ clip: z.string().min(1) }).and(Placement),
  z.object({ clips: z.array(z.string().min(1)).min(1), gap_ms: z.number().min(0).default(0), ptt: z.boolean().default(false) }).and(Placement),
]);

const Room = z.object({
  rir: z.string().min(1),
  ser_db: z.number().min(-40).max(40),
  delay_ms: z.number().min(0).max(1000).default(0),
  clip: z.number().gt(0).max(1).nullable().default(null),
  noise_db: z.number().max(0).nullable().default(null),
});

const ScenarioFile = z.object({
  name: z.string().min(1),
  mode: z.enum(['always-listening', 'push-to-talk']),
  room: Room.nullable(),
  assistant_voice: z.string().min(1).optional(),
  user: z.array(UserEntry).min(1),
  tail_ms: z.number().min(0).max(120_000).default(6000),
});

/** One user clip, read and measured. */
export interface UserClip {
  name: string;
  file: string;
  /** 16 kHz mono. */
  samples: Float32Array;
  /** Where its speech is inside the clip (samples). */
  speechStart: number;
  speechEnd: number;
  /** Reference words (transcripts.tsv beside the clip); empty when it has none. */
  words: string[];
}

/** One entry of the user's part: one clip, or several clips (with gaps) under one push-to-talk press. */
export interface UserPart {
  clips: UserClip[];
  gapMs: number;
  ptt: boolean;
  at: { kind: 'absolute'; ms: number } | { kind: 'after'; anchor: Anchor; offsetMs: number };
}

export interface RoomSpec {
  /** Impulse response, 16 kHz. */
  rir: Float32Array;
  serDb: number;
  delayMs: number;
  clip: number | null;
  noiseDb: number | null;
}

export interface Scenario {
  name: string;
  file: string;
  mode: 'always-listening' | 'push-to-talk';
  room: RoomSpec | null;
  /** Real speech (16 kHz) a stand-in TTS speaks instead of its noise. */
  assistantVoice: Float32Array | undefined;
  parts: UserPart[];
  tailMs: number;
}

export class ScenarioError extends Error {
  constructor(file: string, problem: string) {
    super(`scenario ${file}: ${problem}`);
    this.name = 'ScenarioError';
  }
}

/** Reads a scenario file and everything it names (paths are relative to the file). */
export function loadScenario(file: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ScenarioError(file, error instanceof Error ? error.message : String(error));
  }
  const parsed = ScenarioFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScenarioError(file, `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const spec = parsed.data;
  const dir = path.dirname(path.resolve(file));
  const resolve = (relative: string): string => {
    const full = path.resolve(dir, relative);
    if (!existsSync(full)) throw new ScenarioError(file, `${relative} does not exist (looked for ${full})`);
    return full;
  };
  const transcripts = new Map<string, Map<string, string>>();
  const readClip = (relative: string): UserClip => {
    const full = resolve(relative);
    const audio = readWavAs16kMono(full);
    const name = path.basename(full);
    let extent: { startMs: number; endMs: number };
    try {
      extent = speechExtent(name, audio.samples);
    } catch {
      throw new ScenarioError(file, `${relative} holds no speech`);
    }
    const folder = path.dirname(full);
    if (!transcripts.has(folder)) transcripts.set(folder, readTranscripts(folder));
    const reference = transcripts.get(folder)?.get(name) ?? '';
    return {
      name,
      file: full,
      samples: audio.samples,
      speechStart: Math.round(extent.startMs * 16),
      speechEnd: Math.min(audio.samples.length, Math.round(extent.endMs * 16)),
      words: reference.split(/\s+/).filter(Boolean),
    };
  };
  const parts: UserPart[] = spec.user.map((entry) => {
    const clips = 'clips' in entry ? entry.clips.map(readClip) : [readClip(entry.clip)];
    const at: UserPart['at'] =
      entry.after !== undefined ? { kind: 'after', anchor: entry.after, offsetMs: entry.offset_ms } : { kind: 'absolute', ms: entry.at_ms ?? 0 };
    return { clips, gapMs: 'clips' in entry ? entry.gap_ms : 0, ptt: 'clips' in entry ? entry.ptt : false, at };
  });
  if (spec.mode === 'push-to-talk' && !parts.some((p) => p.ptt)) {
    throw new ScenarioError(file, 'a push-to-talk scenario needs at least one entry with "ptt": true');
  }
  const room: RoomSpec | null = spec.room
    ? {
        rir: trimImpulseResponse(readWavAs16kMono(resolve(spec.room.rir)).samples),
        serDb: spec.room.ser_db,
        delayMs: spec.room.delay_ms,
        clip: spec.room.clip,
        noiseDb: spec.room.noise_db,
      }
    : null;
  return {
    name: spec.name,
    file: path.resolve(file),
    mode: spec.mode,
    room,
    assistantVoice: spec.assistant_voice ? readVoice(resolve(spec.assistant_voice)) : undefined,
    parts,
    tailMs: spec.tail_ms,
  };
}

/** `transcripts.tsv` of a clip folder: file → reference transcript. */
function readTranscripts(folder: string): Map<string, string> {
  const out = new Map<string, string>();
  const file = path.join(folder, 'transcripts.tsv');
  if (!existsSync(file)) return out;
  for (const row of readFileSync(file, 'utf8').split('\n').slice(1)) {
    const [name, text] = row.split('\t');
    if (name && text) out.set(name.trim(), text.trim());
  }
  return out;
}

/** A WAV, or every WAV of a folder in name order, joined (16 kHz mono). */
function readVoice(target: string): Float32Array {
  const files = target.endsWith('.wav')
    ? [target]
    : readdirSync(target)
        .filter((f) => f.endsWith('.wav'))
        .sort()
        .map((f) => path.join(target, f));
  const parts = files.map((f) => readWavAs16kMono(f).samples);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  if (out.length === 0) throw new Error(`assistant voice ${target}: no WAV audio`);
  return out;
}

/** Drops an impulse response's tail once it has decayed 60 dB below its peak (its cost, not its sound). */
export function trimImpulseResponse(rir: Float32Array): Float32Array {
  let peak = 0;
  for (const v of rir) peak = Math.max(peak, Math.abs(v));
  const floor = peak * 1e-3;
  let end = rir.length;
  while (end > 1 && Math.abs(rir[end - 1] ?? 0) < floor) end--;
  return rir.slice(0, end);
}

/** Where a clip's speech is, for a clip outside the named corpus (used by tests on synthetic audio). */
export function clipOf(name: string, samples: Float32Array, words: string[]): UserClip {
  const extent = energyTruth(samples);
  return { name, file: name, samples, speechStart: Math.round(extent.startMs * 16), speechEnd: Math.round(extent.endMs * 16), words };
}
