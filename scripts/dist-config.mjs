// The electron-builder configuration, as code: what goes into the package depends on the target
// platform and architectures (other platforms' native binaries are left out) and on whether CUDA
// builds are wanted (`MURMUR_DIST_CUDA=1`: node-llama-cpp's CUDA binaries, ~540 MB, off by default).

/** @param {{ platforms: string[], arches: string[], cuda: boolean, electronDist?: string, output?: string }} target */
export function distConfig({ platforms, arches, cuda, electronDist, output }) {
  const linuxArches = arches.length > 0 ? arches : ['x64'];
  // Native packages per platform and architecture: keep what the target loads, drop the rest.
  const otherLlamaBuilds = [
    ...(platforms.includes('linux') ? [] : ['linux-*']),
    ...(platforms.includes('mac') ? [] : ['mac-*']),
    ...(platforms.includes('win') ? [] : ['win-*']),
    ...['x64', 'arm64', 'armv7l'].filter((a) => !linuxArches.includes(a)).map((a) => `linux-${a}*`),
    ...(cuda ? [] : ['*-cuda', '*-cuda-ext']),
  ];
  const otherOrtPlatforms = ['linux', 'darwin', 'win32'].filter((p) => !platforms.includes({ linux: 'linux', darwin: 'mac', win32: 'win' }[p]));
  return {
    appId: 'dev.murmur.assistant',
    productName: 'Murmur',
    copyright: 'Copyright © Murmur contributors',
    directories: { output: output ?? 'dist', buildResources: 'resources' },
    ...(electronDist ? { electronDist } : {}),
    files: [
      'out/**',
      'package.json',
      '!**/*.map',
      '!src-main/**',
      '!src-renderer/**',
      '!test/**',
      '!docs/**',
      '!scripts/**',
      '!.cache/**',
      '!models/**',
      '!dist/**',
      // Bundled into @huggingface/transformers' node build: the package itself is never loaded.
      '!node_modules/onnxruntime-web/**',
      // Tests, examples and TypeScript sources inside dependencies are never run.
      '!**/node_modules/**/{test,tests,__tests__,example,examples}/**',
      '!**/node_modules/**/*.{ts,tsx,mts,cts}',
      ...otherLlamaBuilds.map((pattern) => `!node_modules/@node-llama-cpp/${pattern}/**`),
      ...otherOrtPlatforms.map((p) => `!node_modules/onnxruntime-node/bin/napi-v6/${p}/**`),
      ...(platforms.includes('linux') ? ['x64', 'arm64'].filter((a) => !linuxArches.includes(a)).map((a) => `!node_modules/onnxruntime-node/bin/napi-v6/linux/${a}/**`) : []),
      // llama.cpp's sources for building from source (the binaries come prebuilt; the app never builds).
      '!node_modules/node-llama-cpp/llama/gitRelease.bundle',
      // The compiled binding is all smart-whisper loads (on macOS whisper.cpp's Metal shader stays).
      ...(platforms.includes('mac') ? [] : ['!node_modules/smart-whisper/whisper.cpp/**']),
      '!node_modules/smart-whisper/build/Release/obj.target/**',
      '!node_modules/smart-whisper/build/Release/*.a',
    ],
    // Tray and window icons, read at run time from process.resourcesPath/resources.
    extraResources: [{ from: 'resources', to: 'resources', filter: ['*.png', '*.svg'] }],
    // Native addons (and the packages that load files beside them by path) live outside the asar;
    // so does every file a worker thread starts from: worker_threads cannot read an asar.
    asarUnpack: [
      'out/main/tts-thread.js',
      'out/main/chunks/**',
      'node_modules/node-llama-cpp/**',
      'node_modules/@node-llama-cpp/**',
      'node_modules/onnxruntime-node/**',
      'node_modules/onnxruntime-common/**',
      'node_modules/smart-whisper/**',
      'node_modules/kokoro-js/**',
      'node_modules/phonemizer/**',
      'node_modules/@ricky0123/**',
      'node_modules/sharp/**',
      'node_modules/@img/**',
    ],
    // Models are NOT bundled: the first-run screen downloads them into userData/models.
    npmRebuild: false,
    linux: {
      target: ['AppImage', 'deb'],
      executableName: 'murmur',
      category: 'Utility',
      icon: 'resources/icon.png',
      synopsis: 'Private on-device voice assistant',
    },
    deb: { depends: ['libasound2'] },
    win: { target: ['nsis'], icon: 'resources/icon.png' },
    nsis: { oneClick: false, allowToChangeInstallationDirectory: true },
    mac: {
      target: [{ target: 'dmg', arch: ['arm64', 'x64'] }],
      category: 'public.app-category.productivity',
      icon: 'resources/icon.png',
      hardenedRuntime: true,
      extendInfo: {
        NSMicrophoneUsageDescription:
          'Murmur listens to your microphone to hear what you say. Audio is processed on this computer and never leaves it.',
      },
    },
  };
}
