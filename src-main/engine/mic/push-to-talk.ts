export interface PushToTalkMark {
  /** Input-clock time of the press or release: audio before it belongs to the previous state. */
  atMs: number;
  pressed: boolean;
  /** Engine time the command came in. */
  t: number;
}

/**
 * Push-to-talk presses and releases, placed on the input clock: each is applied to the turn
 * controller after the audio that came before it and before the audio that came after it, so audio
 * still queued at a release belongs to the turn, and a quick new press does not swallow it.
 */
export class PushToTalkMarks {
  private readonly marks: PushToTalkMark[] = [];
  private down = false;

  /** The key as last reported (the controller learns it when its mark is applied). */
  get keyDown(): boolean {
    return this.down;
  }

  /** Marks not applied yet. */
  get pending(): number {
    return this.marks.length;
  }

  /** Records a press or release at input-clock `atMs`; false if it changes nothing (a repeat). */
  record(pressed: boolean, atMs: number, t: number): boolean {
    if (pressed === this.down) return false;
    this.down = pressed;
    this.marks.push({ atMs, pressed, t });
    return true;
  }

  /** Removes and returns, in order, the marks placed at or before input-clock `beforeMs`. */
  *takeUntil(beforeMs: number): Generator<PushToTalkMark> {
    for (let mark = this.marks[0]; mark && mark.atMs <= beforeMs; mark = this.marks[0]) {
      this.marks.shift();
      yield mark;
    }
  }

  /** The mode changed: the key is up and nothing recorded applies any more. */
  reset(): void {
    this.down = false;
    this.marks.length = 0;
  }
}
