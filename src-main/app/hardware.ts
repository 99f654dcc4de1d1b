import { availableParallelism } from 'node:os';
import type { HardwareProfile } from './engine-config';

const GPU_NAMES: Record<string, string> = { cuda: 'An NVIDIA GPU (CUDA)', metal: 'Apple silicon (Metal)', vulkan: 'A Vulkan GPU' };

/** `getLlamaGpuTypes("supported")` of node-llama-cpp, injectable for tests. */
export type GpuTypeProbe = () => Promise<readonly (string | false)[]>;

const nodeLlamaCppProbe: GpuTypeProbe = async () => {
  const { getLlamaGpuTypes } = await import('node-llama-cpp');
  return getLlamaGpuTypes('supported');
};

/**
 * What this machine offers the speech engine. GPUs are detected the way node-llama-cpp picks its
 * backend (`gpu: "auto"`): drivers and libraries present for CUDA, Metal or Vulkan. It only looks
 * at files: no binary is loaded or downloaded, and it takes well under a second. A probe that
 * fails or hangs counts as "no GPU" (the CPU set always works).
 */
export async function detectHardware(probe: GpuTypeProbe = nodeLlamaCppProbe, timeoutMs = 5000): Promise<HardwareProfile> {
  const cores = availableParallelism();
  let timer: NodeJS.Timeout | undefined;
  try {
    const types = await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`GPU detection took longer than ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const gpu = types.find((t): t is string => t !== false);
    return gpu ? { gpu: true, cores, gpuName: GPU_NAMES[gpu] ?? gpu } : { gpu: false, cores };
  } catch {
    return { gpu: false, cores };
  } finally {
    clearTimeout(timer);
  }
}
