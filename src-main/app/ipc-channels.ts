/**
 * Names of every IPC channel between preload and main. No imports: the sandboxed preload bundles
 * this file. Payload schemas live in ipc-schemas.ts (main only).
 */
export const IPC = {
  connectEngine: 'murmur:connect-engine',
  settingsGet: 'murmur:settings-get',
  settingsSet: 'murmur:settings-set',
  hardware: 'murmur:hardware',
  modelsList: 'murmur:models-list',
  modelsDownload: 'murmur:models-download',
  modelsCancel: 'murmur:models-cancel',
  modelsRemove: 'murmur:models-remove',
} as const;

/** Main → renderer channels (main sends, preload listens). */
export const IPC_EVENTS = {
  shortcut: 'murmur:shortcut',
  downloadProgress: 'murmur:download-progress',
  enginePort: 'murmur:engine-port',
} as const;
