import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type {
  ConfigApplied,
  ConversationTurn,
  EngineState,
  ListenMode,
  StageBackend,
  StageName,
  TurnPhase,
  TurnTrace,
} from '../../src-main/shared/events';
import type { HostEvent } from '../../src-main/shared/host-types';
import { defaultAppSettings, type AppSettings, type DownloadProgress, type HardwareInfo, type ModelInfo } from '../../src-main/shared/bridge-types';

/**
 * The renderer's one source of UI truth. Everything the engine says goes through the pure
 * `applyEvent` reducer (unit-tested in node); components only read.
 * Deliberately DOM-free: no window/document here.
 */

export interface UiUnit {
  unit: number;
  text: string;
  played: boolean;
}

export interface UiTurn {
  turn: number;
  user: string;
  /** false while only partial transcripts have arrived. */
  userFinal: boolean;
  /** Speakable units in order, as the engine made them ready. */
  units: UiUnit[];
  /** Raw LLM text so far (shown only while no unit is ready yet). */
  draft: string;
  /** Set once the engine reports its first audio actually playing. */
  playbackStarted: boolean;
  /** The answer is complete (turn_done or history). */
  done: boolean;
  interrupted: boolean;
  /** How many speculative answers were thrown away in this turn. */
  speculationsDiscarded: number;
  at?: number;
  trace?: TurnTrace;
}

export type NoticeKind = 'info' | 'warning' | 'error';
export interface Notice {
  id: number;
  kind: NoticeKind;
  text: string;
  /** Stable key so the same notice replaces itself instead of stacking. */
  key: string;
}

export type LinkStatus = 'connecting' | 'open' | 'closed';

/**
 * What the browser lets us do with audio right now. `blocked` = held back until the user clicks
 * (autoplay policy); `starting` on the input = waiting for getUserMedia (a permission prompt).
 */
export interface AudioStatus {
  output: 'starting' | 'running' | 'blocked' | 'failed';
  input: 'starting' | 'running' | 'blocked' | 'denied' | 'failed';
  /** `protected`: replies play through the echo-cancelling route and the mic's canceller is on. */
  echo: 'pending' | 'protected' | 'unprotected';
  /** Why echo cancellation is not protecting the mic (unprotected only). */
  echoDetail?: string;
}


export interface UiState {
  link: LinkStatus;
  linkDetail?: string;
  engineState: EngineState;
  engineDetail?: string;
  backends?: Record<StageName, StageBackend>;
  mode: ListenMode;
  muted: boolean;
  phase: TurnPhase;
  pttPressed: boolean;
  level: { rms: number; peak: number };
  inputDropped: number;
  turns: UiTurn[];
  notices: Notice[];
  nextNoticeId: number;
  settings: AppSettings;
  models: ModelInfo[];
  download?: DownloadProgress;
  /** Unset until the page starts audio (never in the scripted demo). */
  audio?: AudioStatus;
  configApplied?: ConfigApplied;
  hardware?: HardwareInfo;
}

export const RESTART_NOTICE = 'The speech engine restarted; your conversation is kept.';

export function initialUiState(settings: AppSettings = defaultAppSettings({ gpu: false })): UiState {
  return {
    link: 'connecting',
    engineState: 'idle',
    mode: settings.mode,
    muted: false,
    phase: 'listening',
    pttPressed: false,
    level: { rms: 0, peak: 0 },
    inputDropped: 0,
    turns: [],
    notices: [],
    nextNoticeId: 1,
    settings,
    models: [],
  };
}

function emptyTurn(turn: number): UiTurn {
  return {
    turn,
    user: '',
    userFinal: false,
    units: [],
    draft: '',
    playbackStarted: false,
    done: false,
    interrupted: false,
    speculationsDiscarded: 0,
  };
}

/** Returns state with `turn` updated by `fn` (created in order if missing). */
function updateTurn(state: UiState, turn: number, fn: (t: UiTurn) => UiTurn): UiState {
  const index = state.turns.findIndex((t) => t.turn === turn);
  if (index >= 0) {
    const turns = state.turns.slice();
    turns[index] = fn(state.turns[index] as UiTurn);
    return { ...state, turns };
  }
  const turns = [...state.turns, fn(emptyTurn(turn))].sort((a, b) => a.turn - b.turn);
  return { ...state, turns };
}

export function addNotice(state: UiState, kind: NoticeKind, key: string, text: string): UiState {
  const notices = state.notices.filter((n) => n.key !== key);
  notices.push({ id: state.nextNoticeId, kind, key, text });
  return { ...state, notices: notices.slice(-4), nextNoticeId: state.nextNoticeId + 1 };
}

export function removeNotice(state: UiState, key: string): UiState {
  if (!state.notices.some((n) => n.key === key)) return state;
  return { ...state, notices: state.notices.filter((n) => n.key !== key) };
}

/** Marks every unfinished turn as interrupted (the answer will not continue). */
function interruptOpenTurns(state: UiState): UiState {
  if (!state.turns.some((t) => !t.done)) return state;
  return {
    ...state,
    turns: state.turns.map((t) =>
      t.done ? t : { ...t, done: true, userFinal: true, interrupted: t.units.length > 0 || t.draft.length > 0 },
    ),
  };
}

function markInterrupted(t: UiTurn): UiTurn {
  // Nothing to interrupt if the answer never started.
  const started = t.units.length > 0 || t.draft.length > 0;
  return { ...t, interrupted: t.interrupted || started };
}

function fromHistory(h: ConversationTurn): UiTurn {
  return {
    ...emptyTurn(h.turn),
    user: h.user,
    userFinal: true,
    units: h.assistant ? [{ unit: 0, text: h.assistant, played: true }] : [],
    playbackStarted: true,
    done: true,
    interrupted: h.interrupted,
    at: h.at,
    trace: h.trace,
  };
}

/** The pure reducer: engine events and host notices → next UI state. */
export function applyEvent(state: UiState, event: HostEvent): UiState {
  switch (event.type) {
    case 'host': {
      switch (event.status) {
        case 'started':
          return removeNotice(state, 'host');
        case 'crashed':
          return addNotice(
            interruptOpenTurns({ ...state, engineState: 'loading', phase: 'listening' }),
            'warning',
            'host',
            'The speech engine stopped unexpectedly. Restarting it…',
          );
        case 'restarted':
          return addNotice(
            interruptOpenTurns({ ...state, phase: 'listening' }),
            'info',
            'host',
            RESTART_NOTICE,
          );
        case 'rejected':
          return addNotice(state, 'error', 'rejected', `The engine rejected a message: ${event.error}`);
      }
      return state;
    }
    case 'state': {
      let next: UiState = { ...state, engineState: event.state, engineDetail: event.detail };
      if (event.state === 'error') {
        next = addNotice(next, 'error', 'engine-state', event.detail ?? 'The speech engine failed to start.');
      } else if (event.state === 'ready') {
        next = removeNotice(next, 'engine-state');
      }
      return next;
    }
    case 'backends':
      return { ...state, backends: event.backends };
    case 'config_applied': {
      const next = { ...state, configApplied: { applied: event.applied, reloaded: event.reloaded, restartRequired: event.restartRequired, rejected: event.rejected } };
      return event.restartRequired.length > 0
        ? addNotice(next, 'info', 'config', `Some settings take effect after a restart: ${event.restartRequired.join(', ')}`)
        : removeNotice(next, 'config');
    }
    case 'phase':
      return { ...state, phase: event.phase, mode: event.mode, muted: event.muted };
    case 'level':
      return { ...state, level: { rms: event.rms, peak: event.peak } };
    case 'input_dropped':
      return { ...state, inputDropped: event.total };
    case 'speech_start':
      return updateTurn(state, event.turn, (t) => t);
    case 'stt_partial':
      return updateTurn(state, event.turn, (t) => (t.userFinal ? t : { ...t, user: event.text }));
    case 'stt_final':
      return updateTurn(state, event.turn, (t) => ({ ...t, user: event.text, userFinal: true }));
    case 'llm_token':
      return updateTurn(state, event.turn, (t) => ({ ...t, draft: t.draft + event.text }));
    case 'unit_ready':
    case 'first_unit_ready':
      return updateTurn(state, event.turn, (t) => {
        if (t.units.some((u) => u.unit === event.unit)) return t;
        const units = [...t.units, { unit: event.unit, text: event.text, played: false }].sort(
          (a, b) => a.unit - b.unit,
        );
        return { ...t, units };
      });
    case 'playback_start':
      return updateTurn(state, event.turn, (t) => ({ ...t, playbackStarted: true }));
    case 'unit_played':
      return updateTurn(state, event.turn, (t) => ({
        ...t,
        playbackStarted: true,
        units: t.units.map((u) => (u.unit === event.unit ? { ...u, played: true } : u)),
      }));
    case 'turn_verdict':
      // Shown through the turn's trace (the waterfall's end-of-turn model row).
      return state;
    case 'speculation_discarded':
      return updateTurn(state, event.turn, (t) => ({
        ...t,
        units: [],
        draft: '',
        playbackStarted: false,
        // The user goes on: the words so far are not final any more.
        userFinal: false,
        speculationsDiscarded: t.speculationsDiscarded + 1,
      }));
    case 'barge_in':
    case 'cancelled':
      return updateTurn(state, event.turn, markInterrupted);
    case 'answer_resumed':
      // A false interruption: the answer goes on.
      return updateTurn(state, event.turn, (t) => ({ ...t, interrupted: false }));
    case 'turn_done':
      return updateTurn(state, event.turn, (t) => {
        const units =
          t.units.length > 0 || !event.assistant ? t.units : [{ unit: 0, text: event.assistant, played: !event.interrupted }];
        return {
          ...t,
          user: event.user || t.user,
          userFinal: true,
          units,
          done: true,
          interrupted: event.interrupted,
          at: Date.now(),
        };
      });
    case 'trace':
      return updateTurn(state, event.trace.turn, (t) => ({ ...t, trace: event.trace }));
    case 'history': {
      // The engine's history is authoritative for the turns it knows; turns it does not know
      // (live ones, or ones lost in an engine crash) stay visible.
      const known = new Set(event.turns.map((h) => h.turn));
      const kept = state.turns.filter((t) => !known.has(t.turn));
      const turns = [
        ...event.turns.map((h) => {
          const existing = state.turns.find((t) => t.turn === h.turn);
          if (!existing) return fromHistory(h);
          return { ...existing, user: h.user || existing.user, userFinal: true, done: true, interrupted: h.interrupted, trace: h.trace ?? existing.trace };
        }),
        ...kept,
      ].sort((a, b) => a.turn - b.turn);
      return { ...state, turns };
    }
    case 'error': {
      const where = event.turn !== undefined ? ` (turn ${event.turn})` : '';
      const next = addNotice(
        state,
        event.fatal ? 'error' : 'warning',
        `error:${event.code}`,
        `${event.message}${where}`,
      );
      return event.turn !== undefined ? updateTurn(next, event.turn, markInterrupted) : next;
    }
    // High-rate or trace-only events that the UI does not display directly.
    case 'answer_paused':
    case 'turn_abandoned':
    case 'speech_pause':
    case 'speech_resume':
    case 'speech_end':
    case 'eot_confirmed':
    case 'llm_request':
    case 'llm_first_token':
    case 'llm_done':
    case 'tts_first_audio':
    case 'tts_done':
    case 'audio':
      return state;
  }
}

/** The unit being spoken now: the first unplayed unit once playback has started. */
export function playingUnit(turn: UiTurn): number | undefined {
  if (!turn.playbackStarted || turn.done) return undefined;
  return turn.units.find((u) => !u.played)?.unit;
}

/** Traces of all turns that have one, in turn order. */
export function tracesOf(state: Pick<UiState, 'turns'>): TurnTrace[] {
  return state.turns.flatMap((t) => (t.trace ? [t.trace] : []));
}

export interface UiActions {
  dispatch(event: HostEvent): void;
  setLink(link: LinkStatus, detail?: string): void;
  setPttPressed(pressed: boolean): void;
  setSettings(settings: AppSettings): void;
  setModels(models: ModelInfo[]): void;
  setDownload(progress: DownloadProgress | undefined): void;
  setAudio(audio: AudioStatus): void;
  setHardware(hardware: HardwareInfo | undefined): void;
  notify(kind: NoticeKind, key: string, text: string): void;
  dismiss(key: string): void;
  clearConversation(): void;
}

export type UiStore = UiState & UiActions;

export function createUiStore(settings?: AppSettings) {
  return createStore<UiStore>()((set) => ({
    ...initialUiState(settings),
    dispatch: (event) => set((s) => applyEvent(s, event)),
    setLink: (link, detail) =>
      set((s) => {
        const next = { ...s, link, linkDetail: detail };
        return link === 'closed' && detail
          ? addNotice(interruptOpenTurns(next), 'warning', 'link', detail)
          : removeNotice(next, 'link');
      }),
    setPttPressed: (pttPressed) => set({ pttPressed }),
    setSettings: (settings) => set({ settings }),
    setModels: (models) => set({ models }),
    setDownload: (download) => set({ download }),
    setAudio: (audio) => set({ audio }),
    setHardware: (hardware) => set({ hardware }),
    notify: (kind, key, text) => set((s) => addNotice(s, kind, key, text)),
    dismiss: (key) => set((s) => removeNotice(s, key)),
    clearConversation: () => set({ turns: [] }),
  }));
}

export const uiStore = createUiStore();

export function useUi<T>(selector: (s: UiStore) => T): T {
  return useStore(uiStore, selector);
}
