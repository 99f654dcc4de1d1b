import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../stage-kit';
import { KokoroTts } from './kokoro-tts';
import type { TtsThreadError, TtsThreadLoadOptions, TtsThreadReply, TtsThreadRequest } from './thread-protocol';

/**
 * The speech synthesis thread: hosts one `KokoroTts` for `ThreadedTts`. onnxruntime-node runs an
 * inference synchronously on the thread that calls it, so Kokoro lives here and the engine's
 * thread stays free for the microphone, the VAD and the LLM's tokens while a unit is synthesized.
 */
const port = parentPort;
if (!port) throw new Error('the TTS thread entry must run in a worker thread (ThreadedTts starts it)');

const post = (reply: TtsThreadReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);
const describe = (error: unknown): TtsThreadError => ({
  name: error instanceof Error ? error.name : 'Error',
  message: messageOf(error),
});

let tts: KokoroTts | undefined;
try {
  tts = await KokoroTts.load({ ...(workerData as TtsThreadLoadOptions), onFallback: (message) => post({ type: 'fallback', message }) });
  post({ type: 'ready', backend: tts.backend });
} catch (error) {
  post({ type: 'load_failed', error: describe(error) });
}

port.on('message', (request: TtsThreadRequest) => {
  void handle(request);
});

async function handle(request: TtsThreadRequest): Promise<void> {
  if (request.type === 'dispose') {
    await tts?.dispose().catch(() => undefined);
    post({ type: 'disposed', id: request.id });
    port?.close();
    return;
  }
  try {
    if (!tts) throw new Error('Kokoro did not load');
    const audio = await tts.synthesize(request.text, { voice: request.voice, speed: request.speed });
    // A view on a larger buffer would send (and detach) all of it: send exactly the samples.
    const own = audio.byteOffset === 0 && audio.byteLength === audio.buffer.byteLength ? audio : audio.slice();
    post({ type: 'audio', id: request.id, audio: own }, [own.buffer as ArrayBuffer]);
  } catch (error) {
    post({ type: 'failed', id: request.id, error: describe(error) });
  }
}
