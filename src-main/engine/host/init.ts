import type { EngineConfigInput } from '../../shared/config';

/**
 * Everything an engine process needs to start: serializable, passed through the environment.
 * Model paths are explicit in `config.models`; those left empty come from the manifest's default
 * set in the model store (the engine knows nothing of test stand-ins).
 */
export interface EngineInit {
  config: EngineConfigInput;
  /** Conversation journal (JSON lines); omitted = no persistence. */
  journalPath?: string;
  /** Extra folder searched for downloaded models (the app's user-data models folder). */
  userModelsDir?: string;
}
