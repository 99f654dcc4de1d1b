import { z } from 'zod';
import type { AppSettings, ShortcutAction } from '../shared/bridge-types';

import { IPC } from './ipc-channels';

export { IPC, IPC_EVENTS } from './ipc-channels';

/** Main validates each incoming message with `parseIpc` before acting on it; unknown channels are refused. */
const modelId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,95}$/, 'a model id is lower-case letters, digits, ".", "_" or "-"');

export const AppSettingsSchema = z
  .object({
    theme: z.enum(['system', 'light', 'dark']),
    inputDeviceId: z.string().max(512),
    outputDeviceId: z.string().max(512),
    mode: z.enum(['push-to-talk', 'always-listening']),
    voice: z.string().regex(/^[a-z]{2}_[a-z0-9]{1,32}$/, 'a Kokoro voice id looks like "af_heart"'),
    speed: z.number().min(0.5).max(2),
    systemPrompt: z.string().max(4000),
    endOfTurn: z.enum(['fast', 'smart', 'patient']),
    endOfTurnSilenceMs: z.number().int().min(100).max(5000),
    threads: z.union([z.literal('auto'), z.number().int().min(1).max(64)]),
    gpu: z.boolean(),
    ttsDevice: z.enum(['cpu', 'auto', 'cuda', 'dml', 'coreml']),
    ttsDtype: z.enum(['auto', 'fp32', 'fp16', 'q8']),
    headphones: z.boolean(),
  })
  .strict() satisfies z.ZodType<AppSettings>;

export const AppSettingsPatchSchema = AppSettingsSchema.partial().strict();

export const ShortcutActionSchema = z.enum(['ptt-down', 'ptt-up', 'toggle-listen', 'mute']) satisfies z.ZodType<ShortcutAction>;

/** Payload schema of each invoke channel (the arguments tuple after the event). */
export const IpcArgsSchemas = {
  [IPC.connectEngine]: z.tuple([]),
  [IPC.settingsGet]: z.tuple([]),
  [IPC.settingsSet]: z.tuple([AppSettingsPatchSchema]),
  [IPC.hardware]: z.tuple([]),
  [IPC.modelsList]: z.tuple([]),
  [IPC.modelsDownload]: z.union([z.tuple([]), z.tuple([z.array(modelId).max(32).optional()])]),
  [IPC.modelsCancel]: z.tuple([]),
  [IPC.modelsRemove]: z.tuple([modelId]),
} as const;

export type IpcChannel = keyof typeof IpcArgsSchemas;
export type IpcArgs<C extends IpcChannel> = z.output<(typeof IpcArgsSchemas)[C]>;

export class IpcValidationError extends Error {
  constructor(
    readonly channel: string,
    detail: string,
  ) {
    super(`rejected IPC message on ${channel}: ${detail}`);
    this.name = 'IpcValidationError';
  }
}

export function isIpcChannel(channel: string): channel is IpcChannel {
  return Object.prototype.hasOwnProperty.call(IpcArgsSchemas, channel);
}

/** Validates the arguments of an IPC message; throws `IpcValidationError` naming the channel and the problem. */
export function parseIpc<C extends IpcChannel>(channel: C, args: unknown[]): IpcArgs<C>;
export function parseIpc(channel: string, args: unknown[]): never;
export function parseIpc(channel: string, args: unknown[]): unknown {
  if (!isIpcChannel(channel)) throw new IpcValidationError(channel, 'unknown channel');
  const result = IpcArgsSchemas[channel].safeParse(args);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new IpcValidationError(channel, `${issue?.message ?? 'invalid payload'}${where}`);
  }
  return result.data;
}
