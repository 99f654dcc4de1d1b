/**
 * DEVELOPMENT ONLY: a scripted engine for UI work without models (`?demo=1`). Loaded through a
 * dynamic import guarded by `import.meta.env.DEV`, so production builds contain none of it.
 */
import type { EngineEvent, ListenMode, TraceMark, TurnPhase, TurnTrace } from '../../src-main/shared/events';
import type { EngineCommand } from '../../src-main/shared/protocol';
import type { HostEvent } from '../../src-main/shared/host-types';
import { Emitter, type EngineClient, type LinkStatus } from './engine-client';
import { uiStore } from './store';

/**
 * DEMO FEED (`?demo=1`, `?demo=firstrun`): a scripted, fake engine for screenshots and UI work
 * without models or a microphone. Nothing here is used outside demo mode.
 */

interface ScriptedTurn {
  user: string;
  units: string[];
  /** Offsets from speech_end (ms) of each trace mark. */
  offsets: Partial<Record<TraceMark, number>>;
  interrupted?: boolean;
}

const SCRIPT: ScriptedTurn[] = [
  {
    user: "What's a good way to start learning the cello?",
    units: [
      'Start with a rental cello and a teacher for the first few months,',
      'since posture and bow hold are hard to fix later.',
      'Practice fifteen minutes a day rather than one long session a week.',
    ],
    offsets: { eot_confirmed: 300, stt_final: 212, llm_request: 118, llm_first_token: 301, first_unit_ready: 452, tts_first_audio: 571, playback_start: 598 },
  },
  {
    user: 'How long until I can play something simple?',
    units: ['Most adults can play a simple folk tune within six to eight weeks.'],
    offsets: { eot_confirmed: 300, stt_final: 161, llm_request: -64, llm_first_token: 139, first_unit_ready: 268, tts_first_audio: 391, playback_start: 414 },
  },
  {
    user: 'And what about reading sheet music, is that hard?',
    units: ['Reading bass clef takes a little while,', 'but you can learn the basics in a couple of weeks, and'],
    offsets: { eot_confirmed: 300, stt_final: 205, llm_request: 104, llm_first_token: 289, first_unit_ready: 431, tts_first_audio: 549, playback_start: 571 },
    interrupted: true,
  },
  {
    user: 'Okay. Can you give me a practice plan for this week?',
    units: [
      'Sure. Spend the first five minutes on open strings with long, even bow strokes.',
      'Then practice the D major scale slowly, one octave, listening for intonation.',
      'Finish with a short tune you enjoy, so practice ends on a good note.',
    ],
    offsets: { eot_confirmed: 300, stt_final: 224, llm_request: 121, llm_first_token: 318, first_unit_ready: 489, tts_first_audio: 602, playback_start: 631 },
  },
];

function traceOf(turn: number, speechStart: number, speechEnd: number, s: ScriptedTurn): TurnTrace {
  const marks: TurnTrace['marks'] = { speech_start: speechStart, speech_end: speechEnd };
  for (const [mark, offset] of Object.entries(s.offsets)) marks[mark as TraceMark] = speechEnd + (offset as number);
  const unitMs = 2600;
  const heard = marks.playback_start ?? speechEnd;
  marks.llm_done = (marks.llm_first_token ?? heard) + 900;
  marks.tts_done = heard + 400 * s.units.length;
  if (s.interrupted) marks.barge_in = heard + 2600;
  marks.turn_done = s.interrupted ? (marks.barge_in as number) + 10 : heard + unitMs * s.units.length;
  const d = (a?: number, b?: number): number | undefined => (a !== undefined && b !== undefined ? b - a : undefined);
  return {
    turn,
    marks,
    partials: [speechStart + 400, speechStart + 800],
    user: s.user,
    assistant: s.units.join(' '),
    interrupted: Boolean(s.interrupted),
    durations: {
      voiceToVoice: d(marks.speech_end, marks.playback_start),
      endOfTurnWait: d(marks.speech_end, marks.eot_confirmed),
      stt: d(marks.speech_end, marks.stt_final),
      llmFirstToken: d(marks.llm_request, marks.llm_first_token),
      firstUnit: d(marks.llm_first_token, marks.first_unit_ready),
      ttsFirstAudio: d(marks.first_unit_ready, marks.tts_first_audio),
      playbackStart: d(marks.tts_first_audio, marks.playback_start),
    },
  };
}

/** All events of one scripted turn as [delay from turn start (ms), event]. */
function turnEvents(turn: number, t0: number, s: ScriptedTurn, mode: ListenMode): [number, EngineEvent][] {
  const out: [number, EngineEvent][] = [];
  const phase = (at: number, p: TurnPhase): void => void out.push([at, { type: 'phase', phase: p, mode, muted: false }]);
  const words = s.user.split(' ');
  const speakMs = 280 * words.length;
  const speechStart = t0;
  const speechEnd = t0 + speakMs;
  phase(0, 'hearing');
  out.push([0, { type: 'speech_start', turn, t: speechStart }]);
  for (let ms = 0; ms < speakMs; ms += 66) {
    const env = Math.abs(Math.sin(ms / 170)) * 0.6 + 0.15;
    out.push([ms, { type: 'level', t: t0 + ms, rms: env * 0.25, peak: Math.min(1, env * 0.6) }]);
  }
  for (let ms = 400; ms < speakMs; ms += 400) {
    const n = Math.max(1, Math.round((ms / speakMs) * words.length));
    out.push([ms, { type: 'stt_partial', turn, t: t0 + ms, text: words.slice(0, n).join(' ') }]);
  }
  const at = (mark: TraceMark): number => speakMs + (s.offsets[mark] ?? 0);
  out.push([speakMs, { type: 'speech_end', turn, t: speechEnd }]);
  out.push([speakMs + 40, { type: 'level', t: speechEnd + 40, rms: 0.004, peak: 0.01 }]);
  out.push([at('eot_confirmed'), { type: 'eot_confirmed', turn, t: t0 + at('eot_confirmed') }]);
  out.push([at('stt_final'), { type: 'stt_final', turn, t: t0 + at('stt_final'), text: s.user }]);
  phase(Math.max(at('eot_confirmed'), at('stt_final')), 'thinking');
  out.push([at('llm_first_token'), { type: 'llm_first_token', turn, t: t0 + at('llm_first_token') }]);
  let ready = at('first_unit_ready');
  s.units.forEach((text, unit) => {
    const e: EngineEvent = { type: 'unit_ready', turn, t: t0 + ready, unit, text, first: unit === 0 };
    out.push([ready, e]);
    ready += 700 + 90 * text.length * 0.3;
  });
  const start = at('playback_start');
  out.push([start, { type: 'playback_start', turn, t: t0 + start }]);
  phase(start, 'speaking');
  let played = start;
  const stopAt = s.interrupted ? start + 2600 : Number.POSITIVE_INFINITY;
  s.units.forEach((text, unit) => {
    played += 55 * text.length;
    if (played < stopAt) out.push([played, { type: 'unit_played', turn, t: t0 + played, unit }]);
  });
  const end = Math.min(played, stopAt) + 10;
  if (s.interrupted) out.push([stopAt, { type: 'barge_in', turn, t: t0 + stopAt }]);
  out.push([end, { type: 'turn_done', turn, t: t0 + end, user: s.user, assistant: s.units.join(' '), interrupted: Boolean(s.interrupted) }]);
  out.push([end + 5, { type: 'trace', trace: traceOf(turn, speechStart, speechEnd, s) }]);
  phase(end + 10, 'listening');
  return out.sort((a, b) => a[0] - b[0]);
}

export function createDemoClient(variant: string): EngineClient {
  const events = new Emitter<[HostEvent]>();
  const status = new Emitter<[LinkStatus, string | undefined]>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let mode: ListenMode = 'always-listening';
  let muted = false;
  const later = (ms: number, fn: () => void): void => {
    const id = setTimeout(() => {
      timers.delete(id);
      fn();
    }, ms);
    timers.add(id);
  };
  const emit = (e: HostEvent): void => events.emit(e);

  /** Scripted phase events follow the mode/mute the user has chosen since. */
  const live = (e: EngineEvent): HostEvent =>
    e.type === 'phase' ? { ...e, mode, muted, phase: muted ? 'muted' : e.phase } : e;

  later(0, () => {
    status.emit('open', undefined);
    if (variant === 'firstrun') {
      emit({ type: 'state', state: 'loading', detail: 'waiting for models' });
      return;
    }
    emit({ type: 'state', state: 'ready' });
    emit({
      type: 'backends',
      backends: {
        vad: { device: 'cpu', detail: 'Silero VAD v5 (onnxruntime)', threads: 1 },
        stt: { device: 'cpu', detail: 'whisper.cpp base.en', threads: 2 },
        llm: { device: 'cpu', detail: 'llama.cpp Qwen2.5 1.5B Q4_K_M', threads: 2 },
        tts: { device: 'cpu', detail: 'Kokoro 82M q8', threads: 1 },
      },
    });
    // Past turns at once, the last one live.
    let clock = 1000;
    SCRIPT.slice(0, -1).forEach((s, i) => {
      for (const [, e] of turnEvents(i + 1, clock, s, mode)) emit(e);
      clock += 20000;
    });
    const liveTurn = SCRIPT.length;
    for (const [delay, e] of turnEvents(liveTurn, clock, SCRIPT[liveTurn - 1] as ScriptedTurn, mode)) {
      later(800 + delay, () => emit(live(e)));
    }
  });

  if (variant === 'firstrun') {
    uiStore.getState().setModels([
      { id: 'whisper-base-en', stage: 'stt', name: 'Whisper base.en', sizeBytes: 147_951_465, installed: false, required: true },
      { id: 'qwen2.5-1.5b', stage: 'llm', name: 'Qwen2.5 1.5B Instruct Q4_K_M', sizeBytes: 1_117_320_736, installed: false, required: true },
      { id: 'kokoro-82m', stage: 'tts', name: 'Kokoro 82M (q8)', sizeBytes: 92_361_116, installed: false, required: true },
    ]);
    const files = [
      { id: 'whisper-base-en', file: 'ggml-base.en.bin', bytes: 147_951_465, total: 147_951_465 },
      { id: 'qwen2.5-1.5b', file: 'qwen2.5-1.5b-instruct-q4_k_m.gguf', bytes: 402_000_000, total: 1_117_320_736 },
      { id: 'kokoro-82m', file: 'model_quantized.onnx', bytes: 0, total: 92_361_116 },
    ];
    const totalBytes = files.reduce((a, f) => a + f.total, 0);
    uiStore.getState().setDownload({ files, totalBytes, doneBytes: files.reduce((a, f) => a + f.bytes, 0) });
  }

  const phaseEvent = (): HostEvent => ({ type: 'phase', phase: muted ? 'muted' : 'listening', mode, muted });
  return {
    kind: 'demo',
    send(cmd: EngineCommand) {
      if (cmd.type === 'set_mode') {
        mode = cmd.mode;
        emit(phaseEvent());
      } else if (cmd.type === 'mute') {
        muted = cmd.muted;
        emit(phaseEvent());
      }
    },
    onEvent: (cb) => events.on(cb),
    onStatus: (cb) => status.on(cb),
    close() {
      for (const id of timers) clearTimeout(id);
      timers.clear();
    },
  };
}
