import type { EngineConfigInput } from '../config';
import type { ModelSetName } from './types';

/** Everything an engine process needs to start: serializable, passed through the environment. */
export interface EngineInit {
  config: EngineConfigInput;
  /** Where model paths come from when `config.models` leaves them empty. */
  modelSet: ModelSetName;
  /** Conversation journal (JSON lines); omitted = no persistence. */
  journalPath?: string;
  /** Extra folder searched for downloaded models (the app's user-data models folder). */
  userModelsDir?: string;
}
