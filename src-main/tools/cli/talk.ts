/**
 * npm run talk -- --in <wav> [--out reply.wav] [--models standin|standin-real|default] [--json] [--fast] [--ptt]
 *
 * Plays a WAV into the headless engine (real-time pace unless --fast), then prints each turn's
 * transcript, reply and a text waterfall. The CLI is the "player": it reports playback_start when
 * it writes the first reply sample. With --ptt the engine runs in push-to-talk mode and the key is
 * held from the file's first sample to its last: one turn per file, however it pauses.
 */
import { parseArgs } from 'node:util';
import { readWavAs16kMono, writeWav } from '../../audio/wav';
import { OUTPUT_SAMPLE_RATE } from '../../shared/config';
import type { EngineEvent, StageBackend, StageName, TurnTrace } from '../../shared/events';
import { createEngine } from '../../engine/runtime';
import { engineInitFromFlags, ENGINE_FLAG_OPTIONS } from './engine-args';
import { resolveInit, wrapForModelSet } from './model-sets';
import { feedAudio, silenceThatEndsAnyTurnMs, waitIdle } from './feeder';
import { runEngineCli } from './run-engine-cli';

const USAGE = `usage: npm run talk -- --in <wav> [--out reply.wav] [--models standin|standin-real|default] [--json] [--fast] [--ptt]
       [--stt-model <file>] [--llm-model <file>] [--tts-model <dir>] [--voice <id>] [--eot <ms>] [--threads stt,llm,tts] [--max-tokens n]`;

interface TurnRecord {
  turn: number;
  transcript: string;
  reply: string;
  interrupted: boolean;
  events: Record<string, number>;
  partials: number[];
  audio_samples: number;
  backends: Record<string, string>;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...ENGINE_FLAG_OPTIONS,
      in: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      fast: { type: 'boolean', default: false },
      ptt: { type: 'boolean', default: false },
      'trailing-silence': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.in) {
    console.error(`talk: --in <wav> is required\n${USAGE}`);
    return 2;
  }
  const log = (line: string): void => {
    (values.json ? console.error : console.log)(line);
  };

  const input = readWavAs16kMono(values.in);
  if (input.converted) {
    log(`note: ${values.in} is ${input.sourceSampleRate} Hz / ${input.sourceChannels} ch; converted to 16 kHz mono`);
  }
  const init = engineInitFromFlags(values, values.ptt ? { turn: { mode: 'push-to-talk' } } : {});
  const { engine, ready, config: engineConfig } = createEngine(await resolveInit(init), { wrapStages: (stages) => wrapForModelSet(stages, init.modelSet) });

  const replyAudio: Float32Array[] = [];
  const audioPerTurn = new Map<number, number>();
  const records = new Map<number, TurnRecord>();
  let backends: Record<string, string> = {};
  const errors: string[] = [];

  engine.on((event: EngineEvent) => {
    switch (event.type) {
      case 'state':
        if (!values.json && (event.state === 'loading' || event.state === 'warming')) log(`engine: ${event.state}…`);
        break;
      case 'backends':
        backends = describeBackends(event.backends);
        break;
      case 'audio': {
        const before = audioPerTurn.get(event.turn) ?? 0;
        if (before === 0) engine.handle({ type: 'playback_started', turn: event.turn });
        audioPerTurn.set(event.turn, before + event.samples.length);
        replyAudio.push(event.samples);
        engine.handle({ type: 'unit_played', turn: event.turn, unit: event.unit });
        break;
      }
      case 'trace':
        records.set(event.trace.turn, toRecord(event.trace, audioPerTurn.get(event.trace.turn) ?? 0, backends));
        if (values.json) process.stdout.write(JSON.stringify(records.get(event.trace.turn)) + '\n');
        else log(formatTurn(event.trace, audioPerTurn.get(event.trace.turn) ?? 0));
        break;
      case 'error':
        errors.push(event.message);
        log(`${event.fatal ? 'error' : 'warning'}: ${event.message}`);
        break;
      default:
        break;
    }
  });

  try {
    await ready;
  } catch {
    return 1; // the fatal error was printed by the listener
  }
  if (!values.json) {
    for (const [stage, detail] of Object.entries(backends)) log(`  ${stage.padEnd(3)}  ${detail}`);
    log(`playing ${values.in} (${(input.durationMs / 1000).toFixed(1)} s)${values.fast ? ' as fast as possible' : ' in real time'}…`);
  }
  // Enough silence after the file for its turn to end on silence, whatever the end-of-turn model says.
  const trailingMs = values['trailing-silence'] !== undefined ? Number(values['trailing-silence']) : Math.max(1500, silenceThatEndsAnyTurnMs(engineConfig));
  const trailing = new Float32Array(Math.round((trailingMs / 1000) * 16000));
  if (values.ptt) engine.handle({ type: 'ptt', pressed: true });
  await feedAudio(engine, input.samples, { realtime: !values.fast });
  if (values.ptt) engine.handle({ type: 'ptt', pressed: false });
  await feedAudio(engine, trailing, { realtime: !values.fast });
  await waitIdle(engine, 120_000);

  if (values.out) {
    const total = replyAudio.reduce((n, chunk) => n + chunk.length, 0);
    const joined = new Float32Array(total);
    let offset = 0;
    for (const chunk of replyAudio) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    writeWav(values.out, joined, OUTPUT_SAMPLE_RATE);
    log(`reply audio: ${values.out} (${(total / OUTPUT_SAMPLE_RATE).toFixed(2)} s)`);
  }
  await engine.dispose();
  if (records.size === 0) {
    log('no turn was detected in the input (is there speech in it?)');
    return 3;
  }
  return 0;
}

function describeBackends(backends: Record<StageName, StageBackend>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [stage, b] of Object.entries(backends)) {
    out[stage] = `${b.device}${b.threads ? ` ×${b.threads}` : ''} · ${b.detail}`;
  }
  return out;
}

function toRecord(trace: TurnTrace, audioSamples: number, backends: Record<string, string>): TurnRecord {
  const events: Record<string, number> = {};
  for (const [mark, t] of Object.entries(trace.marks)) if (t !== undefined) events[mark] = t;
  return {
    turn: trace.turn,
    transcript: trace.user,
    reply: trace.assistant,
    interrupted: trace.interrupted,
    events,
    partials: trace.partials,
    audio_samples: audioSamples,
    backends,
  };
}

const WATERFALL: ReadonlyArray<[label: string, from: keyof TurnTrace['marks'], to: keyof TurnTrace['marks']]> = [
  ['end-of-turn wait', 'speech_end', 'eot_confirmed'],
  ['stt final', 'speech_end', 'stt_final'],
  ['llm first token', 'llm_request', 'llm_first_token'],
  ['first unit', 'llm_first_token', 'first_unit_ready'],
  ['tts first audio', 'first_unit_ready', 'tts_first_audio'],
  ['playback start', 'tts_first_audio', 'playback_start'],
];

export function formatTurn(trace: TurnTrace, audioSamples: number): string {
  const zero = trace.marks.speech_end ?? trace.marks.llm_request ?? 0;
  const scale = 40 / Math.max(200, ...Object.values(trace.marks).map((t) => (t ?? zero) - zero).filter((d) => d < 5000));
  const lines = [
    `turn ${trace.turn}${trace.interrupted ? ' (interrupted)' : ''}`,
    `  you:       ${trace.user || '(nothing recognized)'}`,
    `  assistant: ${trace.assistant || '(no reply)'}`,
    `  reply audio ${(audioSamples / OUTPUT_SAMPLE_RATE).toFixed(2)} s · voice-to-voice ${fmt(trace.durations.voiceToVoice)}`,
  ];
  for (const [label, from, to] of WATERFALL) {
    const a = trace.marks[from];
    const b = trace.marks[to];
    if (a === undefined || b === undefined) continue;
    const start = Math.max(0, Math.round((a - zero) * scale));
    const width = Math.max(1, Math.round((b - a) * scale));
    lines.push(`  ${label.padEnd(16)} ${' '.repeat(Math.min(start, 60))}${'█'.repeat(Math.min(width, 60))} ${fmt(b - a)} (at ${fmt(b - zero)})`);
  }
  return lines.join('\n');
}

const fmt = (ms: number | undefined): string => (ms === undefined ? '—' : `${Math.round(ms)} ms`);

runEngineCli('talk', main);
