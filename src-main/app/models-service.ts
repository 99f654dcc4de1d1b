import { downloadModel, DownloadError } from '../models/downloader';
import { ModelStore } from '../models/store';
import type { ModelEntry } from '../models/manifest';
import type { DownloadProgress, ModelInfo, TtsDtypeSetting } from '../shared/bridge-types';

export interface ModelsServiceOptions {
  /** `userData/models`: where first-run downloads go. */
  userModelsDir: string;
  /** The GPU model set (else the CPU one): follows the detected hardware (engine-config.ts `modelSetFor`). */
  gpu: () => boolean;
  /** Kokoro precision from Settings: a specific one makes its model the required one. */
  ttsDtype?: () => TtsDtypeSetting;
  /** Extra roots for tests: where to look besides userModelsDir (default: none, so the app sees only its own). */
  projectModelsDir?: string | null;
}

/**
 * The app's view of the models (first-run screen, Settings): which are installed, downloading the
 * missing defaults with progress and cancellation, removing one. Wraps the model store and the
 * downloader; never imports electron.
 */
export class ModelsService {
  private readonly store: ModelStore;
  private running: { controller: AbortController; promise: Promise<void> } | undefined;

  constructor(private readonly options: ModelsServiceOptions) {
    this.store = new ModelStore({ userDataModelsDir: options.userModelsDir, projectModelsDir: options.projectModelsDir ?? null });
  }

  /**
   * The models this machine's settings need, one per role: the hardware's default set, with the
   * Kokoro file of the chosen precision; with precision "auto", an installed alternative Kokoro
   * counts (the engine runs whichever is there, fp32 first).
   */
  wanted(): ModelEntry[] {
    const dtype = this.options.ttsDtype?.() ?? 'auto';
    const installed = (e: ModelEntry): boolean => this.store.resolveModel(e.id) !== undefined;
    const kokoros = this.store.manifest.models.filter((e) => e.role === 'tts');
    return this.store.defaultSet({ gpu: this.options.gpu() }).map((entry) => {
      if (entry.role !== 'tts') return entry;
      if (dtype !== 'auto') return kokoros.find((e) => e.dtype === dtype) ?? entry;
      if (installed(entry)) return entry;
      const order = ['fp32', 'fp16', 'q8'];
      const alternative = kokoros.filter(installed).sort((a, b) => order.indexOf(a.dtype ?? '') - order.indexOf(b.dtype ?? ''))[0];
      return alternative ?? entry;
    });
  }

  list(): ModelInfo[] {
    const defaults = new Set(this.wanted().map((e) => e.id));
    return this.store.status().map((s) => ({
      id: s.id,
      stage: s.role,
      name: s.displayName,
      sizeBytes: s.bytes,
      installed: s.state === 'installed' || s.state === 'bundled',
      // The end-of-turn model is downloaded with the defaults, but the assistant runs without it.
      required: defaults.has(s.id) && s.role !== 'turn',
      active: defaults.has(s.id),
    }));
  }

  /** True when every default model for this hardware is present (else the UI shows the download screen). */
  defaultsInstalled(): boolean {
    return this.list().every((m) => !m.required || m.installed);
  }

  /** Downloads `ids` (default: the missing models of this machine's set), one file at a time, reporting progress. */
  download(ids: string[] | undefined, onProgress: (p: DownloadProgress) => void): Promise<void> {
    if (this.running) throw new Error('a model download is already running; cancel it first');
    const controller = new AbortController();
    const promise = this.downloadAll(ids, controller.signal, onProgress).finally(() => {
      this.running = undefined;
    });
    this.running = { controller, promise };
    return promise;
  }

  cancel(): void {
    this.running?.controller.abort(new Error('download cancelled'));
  }

  async remove(id: string): Promise<void> {
    if (this.running) throw new Error('cannot remove a model while a download is running');
    await this.store.remove(id);
  }

  private async downloadAll(ids: string[] | undefined, signal: AbortSignal, onProgress: (p: DownloadProgress) => void): Promise<void> {
    const wanted = ids ?? this.list().filter((m) => m.active && !m.installed).map((m) => m.id);
    const entries = wanted.map((id) => this.store.entry(id)).filter((e) => !e.bundled);
    const files = entries.flatMap((e) => e.files.map((f) => ({ id: e.id, file: f.path, bytes: 0, total: f.bytes ?? 0 })));
    const totalBytes = files.reduce((n, f) => n + f.total, 0);
    const report = (extra: Partial<DownloadProgress> = {}): void =>
      onProgress({ files: files.map((f) => ({ ...f })), totalBytes, doneBytes: files.reduce((n, f) => n + f.bytes, 0), ...extra });
    report();
    try {
      for (const entry of entries) {
        const dir = this.store.modelDir(entry.id);
        await downloadModel(entry, dir, {
          allowedHosts: this.store.manifest.allowedHosts,
          signal,
          onProgress: (p) => {
            const target = files.find((f) => f.id === entry.id && p.file.replace(/\\/g, '/').endsWith(`/${f.file}`));
            if (target) target.bytes = p.bytes;
            report();
          },
        });
        for (const f of files) if (f.id === entry.id) f.bytes = f.total;
      }
      report({ done: true });
    } catch (err) {
      const message =
        err instanceof DownloadError
          ? `${err.message}${err.code === 'NO_SPACE' ? ' Free some disk space and try again.' : err.code === 'ABORTED' ? '' : ' Check your connection and try again; finished files are kept.'}`
          : err instanceof Error
            ? err.message
            : String(err);
      report({ error: signal.aborted ? 'Download cancelled. Finished files are kept; start again to resume.' : message });
      throw err;
    }
  }
}
