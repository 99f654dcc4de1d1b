/** Kokoro's onnxruntime execution providers (config `tts.device`). No imports: the page uses it too. */
export type TtsDevice = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'auto';

/**
 * The providers onnxruntime-node has for `platform`/`arch`, CPU first (`auto` = the platform's
 * accelerator, falling back to the CPU). Settings offers these; the TTS stage refuses the rest.
 */
export function ttsDevicesFor(platform: string, arch: string): TtsDevice[] {
  const devices: TtsDevice[] = ['cpu', 'auto'];
  if ((platform === 'linux' && arch === 'x64') || platform === 'win32') devices.push('cuda');
  if (platform === 'win32') devices.push('dml');
  if (platform === 'darwin') devices.push('coreml');
  return devices;
}
