import { PlaybackRing } from '../../../src-main/shared/playback-ring';

/** Two minutes of reply audio at the context rate: more than any bounded answer. */
const RING_SECONDS = 120;

type PlaybackMessage =
  | { type: 'push'; turn: number; unit: number; samples: Float32Array }
  | { type: 'flush' };

class PlaybackProcessor extends AudioWorkletProcessor {
  private readonly ring = new PlaybackRing(Math.round(sampleRate * RING_SECONDS));

  constructor() {
    super();
    this.port.onmessage = (m: MessageEvent) => {
      const msg = m.data as PlaybackMessage;
      if (msg.type === 'flush') this.ring.flush();
      else if (msg.type === 'push') this.post(this.ring.push(msg.turn, msg.unit, msg.samples));
    };
  }

  private post(notices: unknown[]): void {
    if (notices.length > 0) this.port.postMessage(notices);
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const output = outputs[0];
    const first = output?.[0];
    if (!output || !first) return true;
    this.post(this.ring.render(first));
    for (let c = 1; c < output.length; c++) output[c]?.set(first);
    return true;
  }
}

registerProcessor('murmur-playback', PlaybackProcessor);
