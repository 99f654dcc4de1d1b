import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../src-main/tools/dev/shared-data';
import { defaultManifest, defaultModels, hostAllowed, ManifestError, parseManifest, relativePathProblem } from '../../src-main/models/manifest';

function manifestWith(file: { path: string; url: string }, extra: Record<string, unknown> = {}): unknown {
  return {
    schemaVersion: 1,
    allowedHosts: ['huggingface.co', '*.hf.co'],
    models: [
      {
        id: 'x',
        role: 'stt',
        displayName: 'x',
        license: 'MIT',
        ramMb: 1,
        default: true,
        files: [{ bytes: 10, format: 'whisper-ggml', ...file }],
        ...extra,
      },
    ],
  };
}

const OK_URL = 'https://huggingface.co/ggerganov/whisper.cpp/resolve/5359861c739e955e79d9a303bcbc70fb988958b1/ggml-base.en.bin';

function rejects(input: unknown, expected: RegExp, options = {}): void {
  expect(() => parseManifest(input, options)).toThrow(ManifestError);
  expect(() => parseManifest(input, options)).toThrow(expected);
}

describe('models/manifest.json', () => {
  const manifest = defaultManifest();

  it('parses, pins every URL to a commit (or says why not), and has one default per role per hardware profile', () => {
    for (const m of manifest.models) {
      for (const f of m.files) {
        // An unpinned file (its revision could not be read) must be verified by the host's sha256: no pinned one, and said so.
        if (f.url.includes('/resolve/main/')) {
          expect(f.sha256, `${m.id}/${f.path}`).toBeUndefined();
          expect(m.notes, m.id).toMatch(/sha256 the hub reports/);
        } else {
          expect(f.url, `${m.id}/${f.path}`).toMatch(/^https:\/\/huggingface\.co\/[^/]+\/[^/]+\/resolve\/[0-9a-f]{40}\//);
        }
      }
    }
    for (const gpu of [false, true]) {
      const set = defaultModels(manifest, { gpu });
      expect(set.map((e) => e.role)).toEqual(['vad', 'stt', 'llm', 'tts', 'turn']);
    }
    expect(defaultModels(manifest, { gpu: false }).map((e) => e.id)).toEqual([
      'silero-vad',
      'whisper-base.en',
      'qwen2.5-0.5b-instruct-q4_k_m',
      'kokoro-82m-v1.0-fp32',
      'smart-turn-v3',
    ]);
    expect(defaultModels(manifest, { gpu: true }).find((e) => e.role === 'llm')?.id).toBe('qwen2.5-1.5b-instruct-q4_k_m');
    expect(manifest.models.find((e) => e.id === 'silero-vad')?.bundled).toBe(true);
  });

  it('Kokoro ONNX sizes and sha256 equal the official list in ../shared, and its JSON files equal the real ones', () => {
    const expected = new Map<string, { sha256: string; bytes: number }>();
    for (const line of readFileSync(sharedPath('models/kokoro/EXPECTED_sha256_size.txt'), 'utf8').split('\n')) {
      const [sha256, bytes, file] = line.trim().split(/\s+/);
      if (sha256 && bytes && file) expected.set(file, { sha256, bytes: Number(bytes) });
    }
    const kokoro = manifest.models.filter((m) => m.role === 'tts');
    expect(kokoro.map((k) => k.dtype).sort()).toEqual(['fp16', 'fp32', 'q8']);
    let onnxChecked = 0;
    for (const entry of kokoro) {
      for (const f of entry.files) {
        if (f.format === 'onnx') {
          expect(expected.get(f.path), `${entry.id}/${f.path}`).toEqual({ sha256: f.sha256, bytes: f.bytes });
          onnxChecked++;
        } else {
          const real = readFileSync(sharedPath(`models/kokoro/${f.path}`));
          expect(real.length, f.path).toBe(f.bytes);
          expect(createHash('sha256').update(real).digest('hex'), f.path).toBe(f.sha256);
        }
      }
    }
    expect(onnxChecked).toBe(3);
  });
});

describe('parseManifest validation', () => {
  it('accepts a good entry', () => {
    expect(parseManifest(manifestWith({ path: 'ggml-base.en.bin', url: OK_URL })).models[0]?.id).toBe('x');
  });

  it.each([
    ['../evil.bin', /path traversal/],
    ['onnx/../../evil.bin', /path traversal/],
    ['/etc/passwd', /absolute/],
    ['C:/Windows/evil.bin', /absolute/],
    ['onnx\\model.onnx', /backslash/],
    ['onnx//model.onnx', /empty/],
    ['./model.onnx', /"\."/],
  ])('rejects the file path %s', (p, why) => {
    rejects(manifestWith({ path: p, url: OK_URL }), why);
    expect(relativePathProblem(p)).toBeDefined();
  });

  it.each([
    ['http://huggingface.co/a/b/resolve/main/f.bin', /must use https/],
    ['https://evil.example.com/f.bin', /not in the manifest's allowedHosts/],
    ['https://huggingface.co.evil.com/f.bin', /not in the manifest's allowedHosts/],
    ['https://user:secret@huggingface.co/f.bin', /credentials/],
    ['ftp://huggingface.co/f.bin', /must use https/],
    ['not a url', /not a valid URL/],
    ['http://127.0.0.1:8080/f.bin', /must use https/],
  ])('rejects the URL %s', (url, why) => {
    rejects(manifestWith({ path: 'f.bin', url }), why);
  });

  it('accepts http://127.0.0.1 only with the explicit test-only option', () => {
    const input = manifestWith({ path: 'f.bin', url: 'http://127.0.0.1:8080/f.bin' });
    rejects(input, /must use https/);
    expect(parseManifest(input, { allowLoopbackHttpForTests: true }).models[0]?.files[0]?.url).toBe('http://127.0.0.1:8080/f.bin');
    rejects(manifestWith({ path: 'f.bin', url: 'http://10.0.0.1/f.bin' }), /must use https/, { allowLoopbackHttpForTests: true });
  });

  it('matches "*." host patterns on sub-domains only', () => {
    expect(hostAllowed('cdn-lfs.hf.co', ['*.hf.co'])).toBe(true);
    expect(hostAllowed('hf.co', ['*.hf.co'])).toBe(false);
    expect(hostAllowed('evilhf.co', ['*.hf.co'])).toBe(false);
    expect(hostAllowed('HuggingFace.co', ['huggingface.co'])).toBe(true);
  });

  it('rejects a bad sha256, a duplicate id, two defaults for one role, and an unbundled entry without files', () => {
    rejects(manifestWith({ path: 'f.bin', url: OK_URL, sha256: 'ABC' } as never), /sha256 must be 64/);
    const two = manifestWith({ path: 'f.bin', url: OK_URL }) as { models: Array<Record<string, unknown>> };
    two.models.push({ ...two.models[0], id: 'y' });
    rejects(two, /exactly one allowed/);
    const dup = manifestWith({ path: 'f.bin', url: OK_URL }) as { models: Array<Record<string, unknown>> };
    dup.models.push({ ...dup.models[0], default: false });
    rejects(dup, /appears twice/);
    rejects(manifestWith({ path: 'f.bin', url: OK_URL }, { files: [] }), /lists no files/);
  });
});
