import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';

/**
 * A small JSON file in the user-data folder, validated by a zod schema on read. A missing or
 * corrupt file yields the defaults (a corrupt one is reported once through `onProblem`), and
 * writes are atomic (temp file + rename) so a crash never leaves half a file.
 */
export class JsonStore<T> {
  private value: T;

  constructor(
    private readonly file: string,
    private readonly schema: z.ZodType<T>,
    private readonly defaults: T,
    onProblem: (message: string) => void = () => {},
    /** Rewrites a file written by an earlier version before it is validated. */
    private readonly upgrade: (stored: Record<string, unknown>) => Record<string, unknown> = (stored) => stored,
  ) {
    this.value = this.read(onProblem);
  }

  get(): T {
    return this.value;
  }

  set(next: T): T {
    const parsed = this.schema.parse(next);
    this.value = parsed;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(parsed, null, 2));
    renameSync(tmp, this.file);
    return parsed;
  }

  private read(onProblem: (message: string) => void): T {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return this.defaults;
    }
    try {
      const stored: unknown = JSON.parse(text);
      const upgraded = stored && typeof stored === 'object' && !Array.isArray(stored) ? this.upgrade(stored as Record<string, unknown>) : stored;
      const merged = { ...(this.defaults as object), ...(upgraded as object) };
      const result = this.schema.safeParse(merged);
      if (result.success) return result.data;
      onProblem(`${this.file}: ignoring invalid settings (${result.error.issues[0]?.message ?? 'invalid'}); using defaults`);
    } catch {
      onProblem(`${this.file}: not valid JSON; using defaults`);
    }
    return this.defaults;
  }
}
