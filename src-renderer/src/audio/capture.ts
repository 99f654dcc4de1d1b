import captureWorkletUrl from './capture-worklet.ts?worker&url';

export const CAPTURE_SAMPLE_RATE = 16000;

export interface CaptureOptions {
  /** '' or undefined = the system default input. */
  deviceId?: string;
  /** One 512-sample frame at 16 kHz; its buffer may be transferred. */
  onFrame(samples: Float32Array): void;
  /** The capture context started or stopped running (the browser holds it until a user gesture). */
  onStateChange?(): void;
  signal?: AbortSignal;
}

/** Microphone capture with the browser's echo canceller, noise suppression and AGC on. */
export class MicCapture {
  private constructor(
    private readonly context: AudioContext,
    private readonly stream: MediaStream,
    private readonly node: AudioWorkletNode,
    readonly label: string,
  ) {}

  static async start(options: CaptureOptions): Promise<MicCapture> {
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error('This window has no microphone access (navigator.mediaDevices is unavailable).');
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
        channelCount: 1,
        ...(options.deviceId ? { deviceId: { exact: options.deviceId } } : {}),
      },
    });
    const context = new AudioContext({ latencyHint: 'interactive' });
    try {
      options.signal?.throwIfAborted();
      await context.audioWorklet.addModule(captureWorkletUrl);
      const node = new AudioWorkletNode(context, 'murmur-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 0,
        channelCount: 1,
        channelCountMode: 'explicit',
      });
      node.port.onmessage = (m: MessageEvent) => {
        const data = m.data as { type?: string; samples?: Float32Array };
        if (data.type === 'frame' && data.samples) options.onFrame(data.samples);
      };
      context.createMediaStreamSource(stream).connect(node);
      context.onstatechange = () => options.onStateChange?.();
      // Without a user gesture the browser may keep this pending: never wait for it here.
      void context.resume().catch(() => undefined);
      const capture = new MicCapture(context, stream, node, stream.getAudioTracks()[0]?.label ?? 'microphone');
      options.signal?.addEventListener('abort', () => void capture.stop(), { once: true });
      return capture;
    } catch (err) {
      for (const track of stream.getTracks()) track.stop();
      await context.close().catch(() => undefined);
      throw err;
    }
  }

  /** True while the browser holds the capture context suspended (no frames reach the engine). */
  get blocked(): boolean {
    return this.context.state !== 'running';
  }

  /** Call from a user gesture. */
  resume(): void {
    if (this.context.state === 'suspended') void this.context.resume().catch(() => undefined);
  }

  /** Whether the browser's echo canceller runs on this microphone. */
  get echoCancellation(): boolean {
    return this.stream.getAudioTracks()[0]?.getSettings().echoCancellation === true;
  }

  async stop(): Promise<void> {
    this.context.onstatechange = null;
    this.node.port.postMessage({ type: 'stop' });
    this.node.port.onmessage = null;
    this.node.disconnect();
    for (const track of this.stream.getTracks()) track.stop();
    if (this.context.state !== 'closed') await this.context.close();
  }
}
