import { describe, expect, it } from 'vitest';
import { loadClips } from '../../../src-main/tools/bench/run';
import { engineInitFromFlags } from '../../../src-main/tools/cli/engine-args';
import { runLlmSoak, runSoak } from '../../../src-main/tools/cli/soak-run';
import { sharedPath } from '../../../src-main/tools/dev/shared-data';

/**
 * A short in-process soak on the `standin` set (whisper stand-in, the real tiny stories260K llama,
 * a light Kokoro-format stand-in) with a small LLM history budget, so the history is trimmed
 * within a few turns: once it is, a turn must still evaluate only its own new tokens (the trimmed
 * turns are shifted out of the KV cache), not the whole kept history again.
 */
describe('soak: a conversation longer than the history budget', () => {
  it('reports per-turn prompt tokens, first-token time and RSS; evaluation stays bounded after trimming', async () => {
    const budget = 600;
    const turns = 8;
    // One transcription per turn (no partials, no speculative start) and one thread per stage: the
    // LLM's evaluation is what is measured here, and this keeps the file short on a busy machine.
    const config = {
      llm: { maxTokens: 24, historyTokenBudget: budget, threads: 1 },
      stt: { partialIntervalMs: 0, threads: 1 },
      tts: { threads: 1 },
      turn: { speculative: false },
    };
    const shortest = loadClips(sharedPath('speech'))
      .sort((a, b) => a.samples.length - b.samples.length)
      .slice(0, 3);
    const report = await runSoak({
      init: engineInitFromFlags({ models: 'standin' }, config),
      clips: shortest,
      log: (line) => console.log(line),
      turns,
      warmupTurns: 2,
      turnTimeoutMs: 120_000,
    });
    const evaluated = report.per_turn.map((t) => t.prompt_tokens_evaluated);
    console.log(`per-turn prompt tokens evaluated (history budget ${budget}): ${evaluated.join(', ')}`);
    console.log(`first token ms: ${report.per_turn.map((t) => t.first_token_ms).join(', ')}`);

    expect(report.errors).toBe(0);
    expect(report.per_turn).toHaveLength(turns);
    for (const [i, turn] of report.per_turn.entries()) {
      expect(turn.turn).toBe(i + 1);
      expect(turn.llm_calls).toBeGreaterThanOrEqual(1);
      expect(turn.prompt_tokens_evaluated).toBeGreaterThan(0);
      expect(turn.first_token_ms).toBeGreaterThan(0);
      expect(turn.rss_mb).toBeGreaterThan(50);
    }
    // Each turn adds the whisper stand-in's transcript (~60–150 tokens of repeated words) + up to 24
    // answer tokens: the budget is passed by turn 5 or so, after which re-evaluating the kept
    // history would cost ≈ the budget every turn; a turn's own new tokens stay well under half of it.
    expect(report.llm.max_prompt_tokens_after_turn_2).toBe(Math.max(...(evaluated.slice(2) as number[])));
    expect(report.llm.max_prompt_tokens_after_turn_2).toBeLessThan(budget / 2);
    expect(report.llm.first_token_ms_p50).toBeGreaterThan(0);
  }, 600_000);
});

describe('soak --llm-only: the same conversation at the LLM stage alone', () => {
  it('trims the history and still evaluates only each turn\'s new tokens', async () => {
    const budget = 300;
    const report = await runLlmSoak({
      init: engineInitFromFlags({ models: 'standin' }, { llm: { maxTokens: 24, historyTokenBudget: budget, threads: 1, temperature: 0 } }),
      // Short sentences, so a turn's own new tokens (its message + the last answer) are clearly below the bound.
      userTexts: loadClips(sharedPath('speech'))
        .map((clip) => clip.reference)
        .filter((text) => text.length <= 60),
      turns: 14,
    });
    console.log(`llm-only per-turn prompt tokens evaluated: ${report.per_turn.map((t) => t.prompt_tokens_evaluated).join(', ')}`);
    const trimmedFrom = report.per_turn.findIndex((t) => t.history_turns < t.turn);
    expect(trimmedFrom).toBeGreaterThan(0);
    expect(trimmedFrom).toBeLessThan(10); // several turns left after trimming starts
    for (const turn of report.per_turn) expect(turn.history_tokens).toBeLessThanOrEqual(budget);
    expect(report.llm.max_prompt_tokens_after_turn_2).toBeLessThan(budget / 2);
  });
});
