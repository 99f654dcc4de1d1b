/** Where the reference goes: the mic path's echo guard. */
export interface ReferenceSink {
  readonly referenceEndMs: number;
  addReference(samples: Float32Array, sampleRate: number, startMs: number): void;
  cutReference(fromMs: number): void;
}

/** Turns whose playback start is remembered (older ones are forgotten first). */
const MAX_PLAYING_TURNS = 64;

/**
 * The echo guard's reference: what the player plays, placed on the input clock.
 *
 * With a player that reports (`playback_started`, `unit_played`), an answer's audio is heard from
 * the input-clock time of its `playback_started` for the first unit and contiguously after that
 * (or "now" if the player's queue ran dry). Without reports (a CLI writing a file) the audio is
 * placed at emission. The first answer comes before the player has reported anything: it is placed
 * at emission too, and moved to where the player says it started when it does (the player starts
 * tens of ms after emission; left there, the guard would learn a delay that every later answer,
 * placed by the player's reports, contradicts, and its filter would miss their echo). When the
 * player drops its queue (barge-in, cancel) the reference is cut.
 * The sink is looked up at each use: the mic path is rebuilt when the echo settings change.
 */
export class EchoReferenceSchedule {
  private playerReports = false;
  private readonly playingTurns = new Set<number>();
  /**
   * Audio of turns the player has not started yet: it becomes reference at `playback_started`. Before
   * any report it also holds the latest turn's audio, already placed at emission (`placedEarly`).
   */
  private readonly unheardAudio = new Map<number, Array<{ samples: Float32Array; sampleRate: number }>>();
  /** Before any report: the turn placed at emission, and where (moved at its `playback_started`). */
  private placedEarly: { turn: number; startMs: number } | undefined;

  constructor(private readonly sink: () => ReferenceSink) {}

  /** The player reported something: from now on references follow its reports. */
  playerReported(): void {
    this.playerReports = true;
  }

  /** An answer's audio went to the player (`nowMs`: the input clock now). The samples are copied. */
  answerAudio(turn: number, samples: Float32Array, sampleRate: number, nowMs: number): void {
    const playing = this.playerReports && this.playingTurns.has(turn);
    if (!playing) this.queue(turn, samples, sampleRate);
    if (this.playerReports && !playing) return;
    const sink = this.sink();
    const at = Math.max(sink.referenceEndMs, nowMs);
    sink.addReference(samples, sampleRate, at);
    if (this.playerReports || this.placedEarly?.turn === turn) return;
    // A host that never reports keeps only the latest turn's audio.
    if (this.placedEarly) this.unheardAudio.delete(this.placedEarly.turn);
    this.placedEarly = { turn, startMs: at };
  }

  /** The player started `turn` at input-clock time `startMs`: its queued audio is heard from there on. */
  playbackStarted(turn: number, startMs: number): void {
    this.playerReports = true;
    this.playingTurns.add(turn);
    if (this.playingTurns.size > MAX_PLAYING_TURNS) this.playingTurns.delete(this.playingTurns.values().next().value as number);
    const sink = this.sink();
    if (this.placedEarly?.turn === turn) sink.cutReference(this.placedEarly.startMs);
    this.placedEarly = undefined;
    const queued = this.unheardAudio.get(turn) ?? [];
    this.unheardAudio.delete(turn);
    let at = startMs;
    for (const { samples, sampleRate } of queued) {
      sink.addReference(samples, sampleRate, at);
      at += (samples.length * 1000) / sampleRate;
    }
  }

  /** The player dropped what it had queued (barge-in, cancel): nothing of it after `nowMs` is heard. */
  cut(turn: number, nowMs: number): void {
    this.unheardAudio.delete(turn);
    this.sink().cutReference(nowMs);
  }

  /** The turn is over or discarded: audio it never played is forgotten. */
  forget(turn: number): void {
    this.unheardAudio.delete(turn);
    if (this.placedEarly?.turn === turn) this.placedEarly = undefined;
  }

  private queue(turn: number, samples: Float32Array, sampleRate: number): void {
    const queued = this.unheardAudio.get(turn) ?? [];
    queued.push({ samples: samples.slice(), sampleRate });
    this.unheardAudio.set(turn, queued);
  }
}
