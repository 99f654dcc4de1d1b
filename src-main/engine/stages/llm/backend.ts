import { LlamaLogLevel, getLlama, type Llama, type LlamaModel } from 'node-llama-cpp';
import { messageOf } from '../stage-kit';
import type { LlmGpu } from './chat-types';

/**
 * One Llama (the native backend) per GPU setting per process; llama.cpp's log goes to a ring buffer
 * so load errors can quote it instead of it being printed.
 */
// so load errors can quote it instead of it being printed.

const recentLlamaLog: string[] = [];
function llamaLogger(level: LlamaLogLevel, message: string): void {
  recentLlamaLog.push(`${level}: ${message.trim()}`);
  if (recentLlamaLog.length > 50) recentLlamaLog.shift();
}

export interface LlamaBackend {
  llama: Llama;
  /** Set when a GPU backend was asked for ('auto') and the CPU was used instead. */
  fallbackReason?: string;
}

const llamaBackends = new Map<LlmGpu, Promise<LlamaBackend>>();

export function loadLlamaBackend(gpu: LlmGpu): Promise<LlamaBackend> {
  let backend = llamaBackends.get(gpu);
  if (!backend) {
    backend = createLlamaBackend(gpu);
    llamaBackends.set(gpu, backend);
    backend.catch(() => llamaBackends.delete(gpu));
  }
  return backend;
}

async function createLlamaBackend(gpu: LlmGpu): Promise<LlamaBackend> {
  const common = {
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.warn,
    logger: llamaLogger,
  } as const;
  if (gpu === 'off') return { llama: await getLlama({ ...common, gpu: false }) };
  if (gpu !== 'auto') {
    try {
      return { llama: await getLlama({ ...common, gpu }) };
    } catch (error) {
      throw new Error(
        `cannot load llama.cpp's ${gpu} backend (${messageOf(error)}). Set llm.gpu to "auto" or "off".`,
      );
    }
  }
  try {
    const llama = await getLlama({ ...common, gpu: 'auto' });
    return llama.gpu === false ? { llama, fallbackReason: 'no GPU backend available' } : { llama };
  } catch (error) {
    return { llama: await getLlama({ ...common, gpu: false }), fallbackReason: messageOf(error) };
  }
}


/** Loads the model file, quoting llama.cpp's own errors when it fails. */
export async function loadModelFile(llama: Llama, modelPath: string, size: number): Promise<LlamaModel> {
  const logStart = recentLlamaLog.length;
  try {
    return await llama.loadModel({ modelPath });
  } catch (error) {
    const llamaSays = recentLlamaLog
      .slice(logStart)
      .filter((line) => line.startsWith('error'))
      .map((line) => line.replace(/^error: /, ''))
      .join('; ');
    throw new Error(
      `${modelPath} could not be loaded as a GGUF chat model (${size} bytes): ${messageOf(error)}` +
        `${llamaSays ? ` (llama.cpp: ${llamaSays})` : ''}. The file is probably truncated or corrupted; ` +
        `download it again with \`npm run models -- download <id>\`.`,
    );
  }
}

