import { z } from 'zod';
import type { EngineConfigPatch } from './config';
import type { EngineEvent } from './events';

/**
 * Commands into the engine. Every message that crosses a process or network boundary is parsed
 * with `parseCommand` first: malformed or oversized input is rejected with a clear error and never
 * reaches a stage.
 */
export const MAX_AUDIO_FRAME_SAMPLES = 16000;
/** Largest JSON control message accepted on a socket or port (bytes). */
export const MAX_CONTROL_MESSAGE_BYTES = 64 * 1024;

const float32Frame = z.custom<Float32Array>((v) => v instanceof Float32Array, {
  message: 'expected a Float32Array of mono samples',
});

const configPatch = z.record(z.string(), z.record(z.string(), z.unknown())) as unknown as z.ZodType<EngineConfigPatch>;

export const EngineCommandSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('audio'),
    sampleRate: z.number().int(),
    samples: float32Frame.refine((s) => s.length <= MAX_AUDIO_FRAME_SAMPLES, {
      message: `audio frame longer than ${MAX_AUDIO_FRAME_SAMPLES} samples`,
    }),
  }),
  /** Push-to-talk key: pressed = start capturing a turn, released = end of turn. */
  z.object({ type: z.literal('ptt'), pressed: z.boolean() }),
  z.object({ type: z.literal('set_mode'), mode: z.enum(['push-to-talk', 'always-listening']) }),
  z.object({ type: z.literal('mute'), muted: z.boolean() }),
  /** Stop the current answer (LLM, TTS and queued audio). */
  z.object({ type: z.literal('cancel') }),
  /** The player started outputting the reply of `turn` (for the trace). */
  z.object({ type: z.literal('playback_started'), turn: z.number().int().nonnegative() }),
  /** The player finished playing `unit` of `turn`: it counts as spoken. */
  z.object({ type: z.literal('unit_played'), turn: z.number().int().nonnegative(), unit: z.number().int().nonnegative() }),
  z.object({ type: z.literal('configure'), patch: configPatch }),
  z.object({ type: z.literal('text_input'), text: z.string().min(1).max(4000) }),
  z.object({ type: z.literal('clear_history') }),
  z.object({ type: z.literal('get_history') }),
]);

export type EngineCommand = z.infer<typeof EngineCommandSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseCommand(input: unknown): ParseResult<EngineCommand> {
  const result = EngineCommandSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: `invalid engine command${where}: ${issue?.message ?? 'unknown error'}` };
}

/** Envelope for events leaving the engine process. */
export interface EventMessage {
  kind: 'event';
  event: EngineEvent;
}

/** Parses a JSON control message from an untrusted transport, with a size bound. */
export function parseJsonControl(text: string): ParseResult<EngineCommand> {
  if (text.length > MAX_CONTROL_MESSAGE_BYTES) {
    return { ok: false, error: `control message too large (${text.length} bytes > ${MAX_CONTROL_MESSAGE_BYTES})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'control message is not valid JSON' };
  }
  return parseCommand(value);
}
