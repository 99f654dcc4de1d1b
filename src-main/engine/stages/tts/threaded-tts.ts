import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { StageBackend } from '../../../shared/events';
import { abortError, DisposedError, SerialQueue, throwIfAborted } from '../stage-kit';
import type { TtsStage } from '../contracts';
import type { KokoroTtsOptions, SynthesizeOptions } from './kokoro-tts';
import type { TtsThreadError, TtsThreadLoadOptions, TtsThreadReply, TtsThreadRequest } from './thread-protocol';

/**
 * Kokoro on its own thread. onnxruntime-node runs each inference synchronously on the calling
 * thread, so a unit synthesized on the engine's thread froze it for the whole synthesis (seconds
 * for a long sentence on a CPU): no microphone windows, no VAD, no barge-in, no LLM tokens until
 * it finished. Here the engine thread only posts the text and receives the samples (transferred,
 * not copied). Same contract and queueing as `KokoroTts`: one synthesis at a time; a cancelled
 * caller is released at once, a queued synthesis is skipped, a running one finishes.
 */
export class ThreadedTts implements TtsStage {
  private readonly queue = new SerialQueue('speech synthesis');
  private readonly pending = new Map<number, { resolve: (reply: TtsThreadReply) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private disposed = false;
  private stopped: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly backend: StageBackend,
  ) {
    worker.on('message', (reply: TtsThreadReply) => {
      if (!('id' in reply)) return;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiter?.resolve(reply);
    });
    worker.on('error', (error) => this.stop(new Error(`the speech synthesis thread failed: ${error.message}`)));
    worker.on('exit', (code) => this.stop(new Error(`the speech synthesis thread stopped (exit code ${code})`)));
  }

  static async load(options: KokoroTtsOptions): Promise<ThreadedTts> {
    const { signal, onFallback, ...loadOptions } = options;
    throwIfAborted(signal, 'loading Kokoro');
    const { entry, eval: isCode } = threadEntry();
    const worker = new Worker(entry, { workerData: loadOptions satisfies TtsThreadLoadOptions, eval: isCode });
    try {
      const backend = await new Promise<StageBackend>((resolve, reject) => {
        const onAbort = (): void => reject(abortError(signal, 'loading Kokoro'));
        signal?.addEventListener('abort', onAbort, { once: true });
        const onExit = (code: number): void => reject(new Error(`the speech synthesis thread stopped while loading Kokoro (exit code ${code})`));
        worker.once('error', reject);
        worker.once('exit', onExit);
        worker.on('message', function onLoad(reply: TtsThreadReply) {
          if (reply.type === 'fallback') return onFallback?.(reply.message);
          if (reply.type !== 'ready' && reply.type !== 'load_failed') return;
          worker.off('message', onLoad);
          worker.off('error', reject);
          worker.off('exit', onExit);
          signal?.removeEventListener('abort', onAbort);
          if (reply.type === 'ready') resolve(reply.backend);
          else reject(rebuild(reply.error));
        });
      });
      return new ThreadedTts(worker, backend);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  /** True while a synthesis runs (possibly one whose caller gave up): other stages use it to spare the cores. */
  get busy(): boolean {
    return this.queue.busy;
  }

  async warm(): Promise<void> {
    await this.synthesize('Hello.');
  }

  /** 24 kHz mono audio for `text`. Empty text gives an empty array. Calls run one at a time. */
  synthesize(text: string, options: SynthesizeOptions = {}): Promise<Float32Array> {
    const { signal, voice, speed } = options;
    if (this.disposed) return Promise.reject(new DisposedError('KokoroTts'));
    if (signal?.aborted) return Promise.reject(abortError(signal, 'speech synthesis'));
    return this.queue.run(async () => {
      if (this.disposed) throw new DisposedError('KokoroTts');
      const reply = await this.request({ type: 'synthesize', id: this.nextId++, text, voice, speed });
      if (reply.type === 'audio') return reply.audio;
      if (reply.type === 'failed') throw rebuild(reply.error);
      throw new Error(`unexpected reply from the speech synthesis thread: ${reply.type}`);
    }, signal);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue.drained();
    if (!this.stopped) await this.request({ type: 'dispose', id: this.nextId++ }).catch(() => undefined);
    await this.worker.terminate();
  }

  private request(request: TtsThreadRequest): Promise<TtsThreadReply> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }

  private stop(error: Error): void {
    this.stopped ??= error;
    for (const waiter of this.pending.values()) waiter.reject(this.stopped);
    this.pending.clear();
  }
}

function rebuild(error: TtsThreadError): Error {
  const rebuilt = error.name === 'AbortError' ? new DOMException(error.message, 'AbortError') : new Error(error.message);
  if (!(rebuilt instanceof DOMException)) rebuilt.name = error.name;
  return rebuilt;
}

/**
 * The thread's entry: `tts-thread.js` beside the built engine (electron-vite emits it next to
 * worker.js; this module may sit in chunks/; packaged, it is in app.asar.unpacked), else, in
 * development (CLIs and tests run the TypeScript sources), a bootstrap that loads the TypeScript
 * entry through tsx's `tsImport`.
 */
function threadEntry(): { entry: URL | string; eval?: true } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const built of [path.join(here, 'tts-thread.js'), path.join(here, '..', 'tts-thread.js')]) {
    // Packaged, the bundle runs from app.asar but the thread's script is unpacked beside it:
    // worker_threads cannot start a script from inside an asar.
    const file = built.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
    if (existsSync(file)) return { entry: pathToFileURL(file) };
  }
  const source = path.join(here, 'thread-entry.ts');
  if (!existsSync(source)) throw new Error(`the speech synthesis thread's entry (tts-thread.js) was not found next to ${here}`);
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsImport = pathToFileURL(path.join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = pathToFileURL(source).href;
  // An eval'd worker script defines global __dirname/__filename ('.'), which kokoro-js would take
  // for its own location (it looks for its voices beside it): they go before anything loads.
  const bootstrap =
    'delete globalThis.__dirname; delete globalThis.__filename; ' +
    `import(${JSON.stringify(tsImport)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))` +
    `.catch((error) => { console.error(error); process.exit(1); });`;
  return { entry: bootstrap, eval: true };
}
