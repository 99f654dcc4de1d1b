import { useEffect, useLayoutEffect, useRef, useState, type FormEvent, type ReactElement } from 'react';
import { playingUnit, useUi, type UiTurn } from '../store';
import { formatMs, voiceToVoiceMs } from '../latency-math';
import { useController } from './controller-context';
import { audioBlock } from './Header';
import { MicIcon, SendIcon, StopIcon } from './icons';

function UserBubble({ turn }: { turn: UiTurn }): ReactElement | null {
  if (!turn.user) {
    if (turn.done) return null;
    return (
      <div className="bubble user provisional listening-dots" data-testid="user-transcript" data-final="false" role="status" aria-label="Listening">
        <span />
        <span />
        <span />
      </div>
    );
  }
  return (
    <div
      className={turn.userFinal ? 'bubble user' : 'bubble user provisional'}
      data-testid="user-transcript"
      data-final={turn.userFinal ? 'true' : 'false'}
    >
      {turn.user}
    </div>
  );
}

function AssistantBubble({ turn, live }: { turn: UiTurn; live: boolean }): ReactElement | null {
  const playing = playingUnit(turn);
  const v2v = turn.trace ? voiceToVoiceMs(turn.trace) : undefined;
  if (turn.units.length === 0) {
    if (turn.draft) {
      return (
        <div className="bubble assistant drafting" data-testid="assistant-text" data-state="drafting">
          {turn.draft}
        </div>
      );
    }
    if (live && turn.userFinal && !turn.done) {
      return (
        <div className="bubble assistant thinking-dots" role="status" aria-label="Thinking">
          <span />
          <span />
          <span />
        </div>
      );
    }
    if (turn.done && turn.interrupted && turn.user) {
      // Cut off before its first word (a barge-in, Stop, a new turn): say so instead of nothing.
      return (
        <div className="turn-meta" data-testid="assistant-interrupted">
          <span className="badge warn">Interrupted before it spoke</span>
        </div>
      );
    }
    return null;
  }
  const state = turn.interrupted ? 'interrupted' : turn.done ? 'done' : playing !== undefined ? 'speaking' : 'preparing';
  return (
    <div className="assistant-block">
      <div className={`bubble assistant ${state}`} data-testid="assistant-text" data-state={state}>
        {turn.units.map((u, i) => {
          const isPlaying = u.unit === playing;
          const cls = isPlaying ? 'unit playing' : u.played || (turn.done && !turn.interrupted) ? 'unit played' : turn.interrupted ? 'unit unspoken' : 'unit pending';
          return (
            <span key={u.unit} className={cls} aria-current={isPlaying ? 'true' : undefined}>
              {u.text}
              {i < turn.units.length - 1 ? ' ' : ''}
            </span>
          );
        })}
      </div>
      <div className="turn-meta">
        {turn.interrupted && <span className="badge warn">Interrupted</span>}
        {turn.speculationsDiscarded > 0 && (
          <span className="badge" title="A speculative answer was started at a pause and discarded because you kept talking">
            {turn.speculationsDiscarded} speculative restart{turn.speculationsDiscarded > 1 ? 's' : ''}
          </span>
        )}
        {v2v !== undefined && <span className="meta-latency" title="Voice-to-voice latency">{formatMs(v2v)}</span>}
      </div>
    </div>
  );
}

function EmptyConversation(): ReactElement {
  const mode = useUi((s) => s.mode);
  const blocked = audioBlock(useUi((s) => s.audio));
  return (
    <div className="empty-state">
      <div className="empty-orb" aria-hidden="true">
        <MicIcon width={28} height={28} />
      </div>
      <h2>Talk to Murmur</h2>
      <p>
        {blocked
          ? `${blocked.label}. Until then you can type a message.`
          : mode === 'push-to-talk'
            ? 'Hold Space (or the talk button) while you speak, then let go.'
            : 'Just start talking. Murmur answers when you pause.'}
      </p>
      <p className="fine">Everything runs on this computer. Nothing you say leaves it.</p>
    </div>
  );
}

/** Within this many px of the end, the conversation counts as scrolled to the bottom. */
const AT_BOTTOM_PX = 48;

/**
 * The conversation follows new turns unless the user scrolled up to read; then a "New messages"
 * pill brings them back. Following is decided by what the user does (wheel, touch, keys, the
 * scrollbar), never by the scroll events our own scrolling fires, and the view stays at the bottom
 * when the pane itself changes size (a banner appears or goes, the window is resized).
 */
export function Conversation(): ReactElement {
  const turns = useUi((s) => s.turns);
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [unseen, setUnseen] = useState(false);

  const toBottom = (): void => {
    const el = scroller.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    stick.current = true;
    setUnseen(false);
  };

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (stick.current) el.scrollTop = el.scrollHeight;
    else setUnseen(true);
  }, [turns]);

  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  /** After a user's own scroll: follow again once they are back at the end. */
  const userScrolled = (): void => {
    const el = scroller.current;
    if (!el) return;
    requestAnimationFrame(() => {
      stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < AT_BOTTOM_PX;
      if (stick.current) setUnseen(false);
    });
  };

  return (
    <div className="conversation-pane">
      <div
        className="conversation"
        ref={scroller}
        onWheel={userScrolled}
        onTouchMove={userScrolled}
        onKeyUp={userScrolled}
        onPointerUp={userScrolled}
        tabIndex={0}
        role="log"
        aria-live="polite"
        aria-label="Conversation"
        data-testid="conversation"
      >
        {turns.length === 0 ? (
          <EmptyConversation />
        ) : (
          turns.map((turn, i) => (
            <article className="turn" key={turn.turn} data-turn={turn.turn}>
              <UserBubble turn={turn} />
              <AssistantBubble turn={turn} live={i === turns.length - 1} />
            </article>
          ))
        )}
      </div>
      {unseen && (
        <button type="button" className="new-messages" onClick={toBottom} data-testid="new-messages">
          New messages ↓
        </button>
      )}
    </div>
  );
}

function TalkButton(): ReactElement {
  const controller = useController();
  const pressed = useUi((s) => s.pttPressed);
  const muted = useUi((s) => s.muted);
  return (
    <button
      type="button"
      className={pressed ? 'talk-button pressed' : 'talk-button'}
      aria-pressed={pressed}
      disabled={muted}
      data-testid="ptt-button"
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        controller.ptt(true);
      }}
      onPointerUp={() => controller.ptt(false)}
      onPointerCancel={() => controller.ptt(false)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && !e.repeat) controller.ptt(true);
      }}
      onKeyUp={(e) => {
        if (e.key === 'Enter') controller.ptt(false);
      }}
    >
      <MicIcon />
      <span>{pressed ? 'Listening… release to send' : 'Hold to talk'}</span>
    </button>
  );
}

export function Composer(): ReactElement {
  const controller = useController();
  const mode = useUi((s) => s.mode);
  const phase = useUi((s) => s.phase);
  const muted = useUi((s) => s.muted);
  const [text, setText] = useState('');
  const busy = phase === 'thinking' || phase === 'speaking';
  const blocked = audioBlock(useUi((s) => s.audio));

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    controller.sendText(text);
    setText('');
  };

  return (
    <div className="composer">
      {mode === 'push-to-talk' ? (
        <TalkButton />
      ) : (
        <div className={`listening-hint ${muted ? 'muted' : blocked ? 'muted' : phase}`}>
          <span className="pulse" aria-hidden="true" />
          {muted ? 'Microphone muted' : blocked ? blocked.label : 'Listening — just talk'}
        </div>
      )}
      <form className="text-entry" onSubmit={submit}>
        <input
          type="text"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="Or type a message…"
          aria-label="Type a message"
          maxLength={4000}
          data-testid="text-input"
        />
        <button type="submit" className="icon-button" aria-label="Send message" disabled={!text.trim()}>
          <SendIcon />
        </button>
      </form>
      <button
        type="button"
        className="button subtle"
        onClick={() => controller.cancel()}
        disabled={!busy}
        data-testid="stop-button"
        title="Stop the current answer"
      >
        <StopIcon /> Stop
      </button>
    </div>
  );
}

/** Space = push-to-talk anywhere in the app except text fields. */
export function useSpaceToTalk(): void {
  const controller = useController();
  const mode = useUi((s) => s.mode);
  useEffect(() => {
    if (mode !== 'push-to-talk') return;
    const editable = (t: EventTarget | null): boolean =>
      t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
    const down = (e: KeyboardEvent): void => {
      if (e.code !== 'Space' || editable(e.target) || document.querySelector('[role="dialog"]')) return;
      e.preventDefault();
      if (!e.repeat) controller.ptt(true);
    };
    const up = (e: KeyboardEvent): void => {
      if (e.code !== 'Space' || editable(e.target)) return;
      e.preventDefault();
      controller.ptt(false);
    };
    const blur = (): void => controller.ptt(false);
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', blur);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
    };
  }, [controller, mode]);
}
