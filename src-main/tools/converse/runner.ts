import { resample } from '../../audio/wav';
import type { VoiceEngine } from '../../engine/core/voice-engine';
import { INPUT_SAMPLE_RATE } from '../../shared/config';
import type { EngineEvent, TurnTrace } from '../../shared/events';
import { AcousticPath, voicedRms } from './acoustics';
import { ScenarioPlayer } from './player';
import type { Scenario, UserClip, UserPart } from './scenario';
import { energyDbOf, type MicRecord, type PlacedWord } from './standin-adapters';

/** The player renders (and reports) in blocks of 8 ms; the microphone delivers 32 ms frames. */
const PLAYER_BLOCK = 128;
const MIC_FRAME = 512;
const ENVELOPE_HOP = 256;
/** A part waiting for an event (an answer's start or end) that does not come within this gives up. */
const ANCHOR_TIMEOUT_MS = 60_000;
/** After the last clip, the run ends anyway this long after the tail (an engine that never goes idle). */
const IDLE_TIMEOUT_MS = 120_000;
/** The user presses push-to-talk this long before speaking and releases it this long after. */
const PTT_MARGIN_MS = 100;

const ms = (samples: number): number => (samples * 1000) / INPUT_SAMPLE_RATE;
const samplesOf = (milliseconds: number): number => Math.round((milliseconds * INPUT_SAMPLE_RATE) / 1000);
const sleep = (delay: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, delay)));

/** The microphone signal as fed, for the stand-in STT's word oracle (standin-adapters.ts). */
export class MicTimeline implements MicRecord {
  fed = 0;
  readonly energyDb: number[] = [];
  readonly hop = ENVELOPE_HOP;
  readonly words: PlacedWord[] = [];
  readonly speech: Array<{ start: number; end: number }> = [];

  append(frame: Float32Array): void {
    for (let i = 0; i + this.hop <= frame.length; i += this.hop) this.energyDb.push(energyDbOf(frame, i, this.hop));
    this.fed += frame.length;
  }
}

/** A clip placed on the run's sample clock. */
export interface PlacedClip {
  part: number;
  clip: UserClip;
  start: number;
}

/** Everything a run observed, on the run's clock (ms since the first sample). */
export interface RunRecord {
  scenario: Scenario;
  placed: PlacedClip[];
  /** Parts that never played (an answer they waited for never came). */
  unplayed: number[];
  /** What the engine emitted (audio events without their samples: `samples` holds their count). */
  events: Array<{ at: number; event: EngineEvent; samples?: number }>;
  traces: TurnTrace[];
  /** Per turn: samples of its audio the player output, by player block. */
  playback: Array<{ block: number; turn: number; audible: number }>;
  playerBlockSamples: number;
  durationMs: number;
  /** Engine clock → run clock. */
  engineOffsetMs: number;
  /** The player reported a turn's first sample, per turn (run ms). */
  playbackStarts: Map<number, number>;
  errors: string[];
}

export interface RunOptions {
  /** The microphone record the stand-in word oracle reads (dev model sets); a fresh one otherwise. */
  mic?: MicTimeline;
  /** Progress lines (the timeline is printed from the record afterwards). */
  log?: (line: string) => void;
}

/**
 * Plays a scenario through an engine in real time: the user's clips where the scenario places them,
 * the room's echo of what the player plays, the player reporting as the app's does. The engine is
 * loaded and ready; the caller disposes it.
 */
export async function runScenario(engine: VoiceEngine, scenario: Scenario, options: RunOptions = {}): Promise<RunRecord> {
  const mic = options.mic ?? new MicTimeline();
  const player = new ScenarioPlayer();
  const allClips = scenario.parts.flatMap((p) => p.clips);
  const userLevel = allClips.reduce((sum, c) => sum + voicedRms(c.samples), 0) / Math.max(1, allClips.length);
  const room = scenario.room ? new AcousticPath(scenario.room, MIC_FRAME, userLevel) : undefined;
  if (room && scenario.assistantVoice) room.calibrate(scenario.assistantVoice);

  const record: RunRecord = {
    scenario,
    placed: [],
    unplayed: [],
    events: [],
    traces: [],
    playback: [],
    playerBlockSamples: PLAYER_BLOCK,
    durationMs: 0,
    engineOffsetMs: 0,
    playbackStarts: new Map(),
    errors: [],
  };
  const start = performance.now();
  const runNow = (): number => performance.now() - start;
  let offsetKnown = false;
  let highestTurn = 0;
  /** Run ms of each turn's end (turn_done). */
  const turnsDone = new Map<number, number>();

  const unsubscribe = engine.on((event) => {
    const at = 't' in event && typeof event.t === 'number' && offsetKnown ? event.t + record.engineOffsetMs : runNow();
    if ('turn' in event && typeof event.turn === 'number') highestTurn = Math.max(highestTurn, event.turn);
    switch (event.type) {
      case 'audio':
        if (room && !room.calibrated) room.calibrate(resample(event.samples, event.sampleRate, INPUT_SAMPLE_RATE));
        player.play(event.turn, event.unit, event.samples, event.sampleRate);
        // Kept without its samples (the report needs when each unit arrived, not its audio).
        record.events.push({ at, event: { ...event, samples: new Float32Array(0) }, samples: event.samples.length });
        return;
      case 'barge_in':
      case 'cancelled':
        player.stop(event.turn);
        break;
      case 'answer_resumed':
        player.resumeTurn(event.turn);
        break;
      case 'turn_done':
        turnsDone.set(event.turn, at);
        break;
      case 'trace':
        record.traces.push(event.trace);
        return;
      case 'error':
        record.errors.push(event.message);
        options.log?.(`${event.fatal ? 'error' : 'warning'}: ${event.message}`);
        break;
      case 'level':
      case 'llm_token':
      case 'phase':
        return;
      default:
        break;
    }
    record.events.push({ at, event });
  });

  // ── the user's part: placing each entry when what it waits for has happened ──
  let nextPart = 0;
  /** The previous part: where its speech starts and ends, and the highest turn before it was spoken. */
  let previous: { start: number; end: number; turnsBefore: number } | undefined;
  let waitingSince = 0;
  const pttMarks: Array<{ at: number; pressed: boolean }> = [];
  let lastClipEnd = 0;

  const anchorTime = (part: UserPart): number | undefined => {
    if (part.at.kind === 'absolute') return part.at.ms;
    const prev = previous ?? { start: 0, end: 0, turnsBefore: 0 };
    const after = (times: Map<number, number>): number | undefined => {
      const candidates = [...times].filter(([turn, at]) => turn > prev.turnsBefore && at >= ms(prev.start)).map(([, at]) => at);
      return candidates.length > 0 ? Math.min(...candidates) : undefined;
    };
    let anchor: number | undefined;
    if (part.at.anchor === 'speech_end') anchor = ms(prev.end);
    else if (part.at.anchor === 'playback_start') anchor = after(record.playbackStarts);
    else anchor = after(turnsDone);
    return anchor === undefined ? undefined : anchor + part.at.offsetMs;
  };

  const placePart = (index: number, part: UserPart, atMs: number, now: number): void => {
    let cursor = Math.max(samplesOf(atMs), now);
    const first = cursor;
    let speechStart = Infinity;
    let speechEnd = 0;
    for (const clip of part.clips) {
      record.placed.push({ part: index, clip, start: cursor });
      const voiced = clip.speechEnd - clip.speechStart;
      clip.words.forEach((word, k) => mic.words.push({ word, at: cursor + clip.speechStart + Math.round(((k + 0.5) / clip.words.length) * voiced) }));
      mic.speech.push({ start: cursor + clip.speechStart, end: cursor + clip.speechEnd });
      speechStart = Math.min(speechStart, cursor + clip.speechStart);
      speechEnd = cursor + clip.speechEnd;
      cursor += clip.samples.length + samplesOf(part.gapMs);
    }
    const end = cursor - samplesOf(part.gapMs);
    lastClipEnd = Math.max(lastClipEnd, end);
    if (part.ptt) {
      pttMarks.push({ at: Math.max(now, first - samplesOf(PTT_MARGIN_MS)), pressed: true });
      pttMarks.push({ at: end + samplesOf(PTT_MARGIN_MS), pressed: false });
    }
    previous = { start: speechStart, end: speechEnd, turnsBefore: highestTurn };
    options.log?.(`${(atMs / 1000).toFixed(2)} s  user: ${part.clips.map((c) => c.name).join(' + ')}${part.ptt ? ' (push-to-talk)' : ''}`);
  };

  const userSignal = (from: number, length: number): Float32Array => {
    const out = new Float32Array(length);
    for (const { clip, start } of record.placed) {
      const a = Math.max(from, start);
      const b = Math.min(from + length, start + clip.samples.length);
      for (let i = a; i < b; i++) out[i - from] = (out[i - from] ?? 0) + (clip.samples[i - start] ?? 0);
    }
    return out;
  };

  // ── the real-time loop: player blocks, and a microphone frame every fourth block ──
  const frame = new Float32Array(MIC_FRAME);
  let lastAnswerEnd = 0;
  for (let block = 0; ; block++) {
    await sleep(start + ms((block + 1) * PLAYER_BLOCK) - performance.now());
    const played = new Float32Array(PLAYER_BLOCK);
    const rendered = player.render(played);
    for (const notice of rendered.notices) {
      if (notice.type === 'started') {
        record.playbackStarts.set(notice.turn, ms(block * PLAYER_BLOCK));
        engine.handle({ type: 'playback_started', turn: notice.turn });
      } else if (notice.type === 'unit_done') {
        engine.handle({ type: 'unit_played', turn: notice.turn, unit: notice.unit });
      }
    }
    if (rendered.audible > 0 && rendered.turn !== undefined) record.playback.push({ block, turn: rendered.turn, audible: rendered.audible });
    const blocksPerFrame = MIC_FRAME / PLAYER_BLOCK;
    frame.set(played, (block % blocksPerFrame) * PLAYER_BLOCK);
    if ((block + 1) % blocksPerFrame !== 0) continue;

    const frameStart = ((block + 1) / blocksPerFrame - 1) * MIC_FRAME;
    const now = frameStart + MIC_FRAME;
    // Asked before this frame goes in (the frame itself keeps the microphone busy for a moment).
    const engineQuiet = !engine.busy;
    // Parts whose time has come are placed before the frame that may hold their first sample.
    while (nextPart < scenario.parts.length) {
      const part = scenario.parts[nextPart] as UserPart;
      const at = anchorTime(part);
      if (at === undefined) {
        if (ms(now) - waitingSince > ANCHOR_TIMEOUT_MS) {
          for (let p = nextPart; p < scenario.parts.length; p++) record.unplayed.push(p);
          options.log?.(`gave up waiting for the "${part.at.kind === 'after' ? part.at.anchor : ''}" of part ${nextPart + 1}`);
          nextPart = scenario.parts.length;
        }
        break;
      }
      placePart(nextPart, part, at, frameStart);
      nextPart++;
      waitingSince = ms(lastClipEnd);
    }
    const echo = room ? room.process(frame) : undefined;
    const samples = userSignal(frameStart, MIC_FRAME);
    if (echo) for (let i = 0; i < MIC_FRAME; i++) samples[i] = (samples[i] ?? 0) + (echo[i] ?? 0);
    for (const mark of pttMarks.filter((m) => m.pressed && m.at < now)) {
      engine.handle({ type: 'ptt', pressed: true });
      pttMarks.splice(pttMarks.indexOf(mark), 1);
    }
    mic.append(samples);
    engine.handle({ type: 'audio', sampleRate: INPUT_SAMPLE_RATE, samples });
    if (!offsetKnown) {
      record.engineOffsetMs = runNow() - engine.now();
      offsetKnown = true;
    }
    for (const mark of pttMarks.filter((m) => !m.pressed && m.at < now)) {
      engine.handle({ type: 'ptt', pressed: false });
      pttMarks.splice(pttMarks.indexOf(mark), 1);
    }

    for (const at of turnsDone.values()) lastAnswerEnd = Math.max(lastAnswerEnd, at);
    const allPlaced = nextPart >= scenario.parts.length && pttMarks.length === 0;
    if (!allPlaced || now < lastClipEnd) continue;
    const endAt = Math.max(ms(lastClipEnd), lastAnswerEnd) + scenario.tailMs;
    const quiet = engineQuiet && player.buffered === 0;
    if ((ms(now) >= endAt && quiet) || ms(now) > ms(lastClipEnd) + scenario.tailMs + IDLE_TIMEOUT_MS) {
      record.durationMs = ms(now);
      break;
    }
  }
  // The last traces are emitted as the turns finish; give a late one a moment.
  await sleep(50);
  unsubscribe();
  return record;
}
