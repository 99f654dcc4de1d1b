import { FrameAccumulator, StreamingResampler } from './resample';

export const CAPTURE_PROCESSOR = 'murmur-capture';
const TARGET_RATE = 16000;
const FRAME_SAMPLES = 512;

/** Mic → 16 kHz mono → 512-sample frames posted (transferred) to the main thread. */
class CaptureProcessor extends AudioWorkletProcessor {
  private readonly resampler = new StreamingResampler(sampleRate, TARGET_RATE);
  private readonly frames = new FrameAccumulator(FRAME_SAMPLES);
  private running = true;

  constructor() {
    super();
    this.port.onmessage = (m: MessageEvent) => {
      if ((m.data as { type?: string } | null)?.type === 'stop') this.running = false;
    };
  }

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel && channel.length > 0) {
      for (const frame of this.frames.push(this.resampler.process(channel))) {
        this.port.postMessage({ type: 'frame', samples: frame }, [frame.buffer]);
      }
    }
    return this.running;
  }
}

registerProcessor(CAPTURE_PROCESSOR, CaptureProcessor);
