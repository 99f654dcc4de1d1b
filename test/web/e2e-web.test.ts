import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { readWavAs16kMono, writeWav } from '../../src-main/audio/wav';
import { projectRoot, sharedPath } from '../../src-main/tools/dev/shared-data';

/**
 * End to end, web mode: `npm run serve -- --models standin` (real engine process, stand-in models)
 * + Chromium with a fake microphone that plays a real recording (jfk.wav, padded with trailing
 * silence so the end of the turn is detected and answered; Chromium loops the file). Chromium runs
 * with its normal autoplay policy (no `--autoplay-policy` flag): the page must first say "Click to
 * start audio", and a click like a person's starts it. Asserts that a spoken turn then goes all the
 * way through: transcript, assistant reply, a waterfall row with every stage, the echo-cancelling
 * playback route established. Screenshots: test-results/e2e-web-click-to-start.png (before the
 * click) and test-results/e2e-web.png (at the end).
 */
const root = projectRoot();

/**
 * A Chromium the way a developer has one: Playwright's own download (`npx playwright install
 * chromium`), else a system Chromium or Chrome on the PATH; a clear failure naming the install
 * commands otherwise.
 */
function findChromium(): string {
  const candidates: string[] = [];
  try {
    candidates.push(chromium.executablePath());
  } catch {
    // this playwright-core knows no Chromium build for the platform
  }
  const names = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of names) candidates.push(path.join(dir, name));
  }
  candidates.push('/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome');
  const found = candidates.find((file) => existsSync(file));
  if (found) return found;
  throw new Error(
    'no Chromium found for the end-to-end test. Install one: `npx playwright install chromium` ' +
      "(Playwright's build), or the system package (`sudo apt-get install chromium` on Debian/Ubuntu, " +
      '`brew install --cask chromium` on macOS).',
  );
}
const TRAILING_SILENCE_S = 40;
const TYPED_MESSAGE = 'Tell me a short story about a cat.';
const STAGES = ['endOfTurnWait', 'stt', 'llmFirstToken', 'firstUnit', 'ttsFirstAudio', 'playbackStart'];

function startServe(journal: string): { child: ChildProcess; url: Promise<string>; output: () => string } {
  // Same as `npm run serve -- --models standin --port 0 --no-open --rebuild` (the UI is rebuilt from
  // the current source), without npm in between so the process can be stopped by its pid.
  // Never the user's own settings file. jfk.wav pauses for up to about a second between phrases:
  // a longer end-of-turn silence (a user setting, up to 1.5 s) makes the clip one turn instead of
  // several that barge in on each other's transcription on a loaded machine.
  const settings = path.join(path.dirname(journal), 'settings.json');
  writeFileSync(settings, JSON.stringify({ endOfTurnSilenceMs: 1500 }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/tools/cli/serve.ts', '--models', 'standin', '--port', '0', '--no-open', '--rebuild', '--journal', journal, '--settings', settings], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let log = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/.exec(log);
      if (match) resolve(match[0]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    child.once('exit', (code) => reject(new Error(`serve exited early (code ${code}):\n${log}`)));
  });
  return { child, url, output: () => log };
}

/** The engine worker among the children of `parentPid` (tsx also runs an esbuild helper there). */
function engineChildPid(parentPid: number): number | undefined {
  let pids: number[];
  try {
    pids = execFileSync('pgrep', ['-P', String(parentPid)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  } catch {
    return undefined; // pgrep exits 1 when there is no child
  }
  return pids.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker.');
    } catch {
      return false;
    }
  });
}

async function waitForLog(output: () => string, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(output())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in the serve output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('web mode end to end (Chromium + real engine process, stand-in models)', () => {
  let serve: ReturnType<typeof startServe> | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let workDir: string;
  const pageLog: string[] = [];
  /** JSON text frames the page received on its engine socket. */
  const socketFrames: string[] = [];
  let url = '';

  beforeAll(async () => {
    const executablePath = findChromium();
    workDir = mkdtempSync(path.join(tmpdir(), 'murmur-e2e-'));
    const speech = readWavAs16kMono(sharedPath('speech/jfk.wav'));
    // Trailing silence long enough for the stand-in STT (several seconds on 2 cores, with Chromium
    // competing) to finish before the looped file starts speaking again and barges in.
    const padded = new Float32Array(speech.samples.length + TRAILING_SILENCE_S * 16000);
    padded.set(speech.samples);
    const micWav = path.join(workDir, 'mic.wav');
    writeWav(micWav, padded, 16000);

    serve = startServe(path.join(workDir, 'conversation.jsonl'));
    url = await serve.url;
    // First run generates the stand-in models: be generous.
    await waitForLog(serve.output, /engine: ready/, 280_000);

    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${micWav}`,
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.on('console', (m) => pageLog.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.message}`));
    page.on('websocket', (ws) =>
      ws.on('framereceived', (f) => {
        if (typeof f.payload === 'string') socketFrames.push(f.payload);
      }),
    );
    await page.goto(url);
  }, 300_000);

  afterAll(async () => {
    if (page) {
      mkdirSync(path.join(root, 'test-results'), { recursive: true });
      await page.screenshot({ path: path.join(root, 'test-results', 'e2e-web.png'), fullPage: true }).catch(() => undefined);
    }
    await browser?.close();
    if (serve && serve.child.exitCode === null) {
      const exited = new Promise((r) => serve?.child.once('exit', r));
      serve.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }, 30_000);

  let pageState = '';
  /** What the page shows (for failure messages). */
  async function snapshot(p: Page): Promise<void> {
    const text = (id: string): Promise<string> =>
      p
        .locator(`[data-testid=${id}]`)
        .innerText({ timeout: 1000 })
        .catch(() => '(none)');
    const level = await p.locator('[data-testid=mic-level]').getAttribute('aria-valuenow', { timeout: 1000 }).catch(() => '?');
    const counts = new Map<string, number>();
    for (const f of socketFrames) {
      const type = (JSON.parse(f) as { type?: string }).type ?? '?';
      if (type !== 'level') counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    const events = [...counts].map(([t, n]) => `${t}×${n}`).join(' ');
    const last = socketFrames.filter((f) => !f.includes('"level"')).slice(-12).map((f) => f.slice(0, 160)).join('\n');
    pageState = `events: ${events}\nlast events:\n${last}\nstatus: ${await text('state-indicator')} | echo: ${await text('echo-status')} | gate: ${await text('audio-gate')} | mic level: ${level}`;
  }
  const explain = (): string =>
    `\n--- page state ---\n${pageState}\n--- page log ---\n${pageLog.slice(-40).join('\n')}\n--- serve log (tail) ---\n${serve?.output().slice(-3000) ?? ''}`;

  /** A waterfall row (newest first match) that has a bar for each of `stages`. */
  async function expectWaterfallRow(p: Page, stages: readonly string[], timeoutMs: number): Promise<void> {
    // Audio a speculative answer had ready before the end of turn shows as "held for end of turn".
    const has = (stage: string): string => (stage === 'endOfTurnWait' ? '.wf-bar.stage-endOfTurnWait, .wf-bar.stage-heldForEndOfTurn' : `.wf-bar.stage-${stage}`);
    let row = p.locator('[data-testid=waterfall-turn]');
    for (const stage of stages) row = row.filter({ has: p.locator(has(stage)) });
    row = row.last();
    await row.waitFor({ timeout: timeoutMs });
    for (const stage of stages) {
      expect(await row.locator(has(stage)).count(), `waterfall stage ${stage}`).toBe(1);
    }
    // The row's segments add up to its voice-to-voice time (within 5 ms), for every spoken turn shown.
    for (const shown of await p.locator('[data-testid=waterfall-turn][data-v2v]').all()) {
      const v2v = Number(await shown.getAttribute('data-v2v'));
      // The end-of-turn model's marks run beside the wait: not parts of what the user waited for.
      const parts = await shown.locator('.wf-bar:not(.stage-turnModel)').evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-duration'))));
      expect(Math.abs(parts.reduce((a, b) => a + b, 0) - v2v), `turn ${await shown.getAttribute('data-turn')}: ${parts.join(' + ')} vs ${v2v}`).toBeLessThanOrEqual(5);
    }
  }

  it('says "Click to start audio" until the page is clicked, then starts it and protects against echo', async () => {
    if (!page) throw new Error('page did not open');
    const p = page;
    try {
      // Nothing may touch the page before the click: Playwright's element queries evaluate
      // script as a user gesture, which would lift the browser's hold by themselves. So the
      // blocked state is read from the page's console and a screenshot (neither is a gesture).
      const logged = (pattern: RegExp): boolean => pageLog.some((l) => pattern.test(l));
      await expect.poll(() => logged(/\[murmur\] audio: output blocked, input blocked/), { timeout: 60_000 }).toBe(true);
      // give the page time to settle: nothing may start by itself
      await new Promise((r) => setTimeout(r, 3000));
      expect(logged(/\[murmur\] audio: output running|input running/), 'audio ran before any click').toBe(false);
      mkdirSync(path.join(root, 'test-results'), { recursive: true });
      await p.screenshot({ path: path.join(root, 'test-results', 'e2e-web-click-to-start.png'), fullPage: true });

      // A person's click somewhere on the page (any click starts audio; the gate invites it).
      await p.mouse.click(640, 420);
      await expect.poll(() => logged(/\[murmur\] audio: output running, input running/), { timeout: 30_000 }).toBe(true);
      const pill = p.locator('[data-testid=state-indicator]');
      const gate = p.locator('[data-testid=audio-gate]');
      await gate.waitFor({ state: 'detached', timeout: 15_000 });
      await expect.poll(() => pill.innerText(), { timeout: 30_000 }).not.toBe('Click to start audio');
      // The echo-cancelling route (WebRTC loopback) is up and the mic's canceller is on.
      const echo = p.locator('[data-testid=echo-status]');
      await expect.poll(() => echo.getAttribute('data-state'), { timeout: 15_000 }).toBe('protected');
      expect(await echo.innerText()).toBe('Speaker mode: protected');
    } catch (err) {
      await snapshot(p);
      throw new Error(`${err instanceof Error ? err.message : String(err)}${explain()}`);
    }
  }, 180_000);

  it('answers a typed message through the real engine: reply text, audio playback, waterfall', async () => {
    if (!page) throw new Error('page did not open');
    const p = page;
    try {
      // Mute the fake microphone so its looping speech cannot barge in on the typed turn.
      const mute = p.locator('[data-testid=mute-toggle]');
      await mute.waitFor({ timeout: 30_000 });
      if ((await mute.getAttribute('aria-pressed')) !== 'true') await mute.click();
      const input = p.locator('[data-testid=text-input]');
      await input.fill(TYPED_MESSAGE);
      await input.press('Enter');
      const assistant = p.locator('[data-testid=assistant-text]').filter({ hasText: /\S/ }).last();
      await assistant.waitFor({ timeout: 120_000 });
      expect((await assistant.innerText()).trim().length).toBeGreaterThan(0);
      // typed turns have no speech stages; everything from the LLM to playback must be there
      await expectWaterfallRow(p, ['llmFirstToken', 'firstUnit', 'ttsFirstAudio', 'playbackStart'], 120_000);
      await mute.click();
    } catch (err) {
      await snapshot(p);
      throw new Error(`${err instanceof Error ? err.message : String(err)}${explain()}`);
    }
  }, 300_000);

  it('refuses a Kokoro precision that is not installed, says so, rolls it back, and keeps answering', async () => {
    if (!page) throw new Error('page did not open');
    const p = page;
    try {
      const mute = p.locator('[data-testid=mute-toggle]');
      if ((await mute.getAttribute('aria-pressed')) !== 'true') await mute.click();
      await p.locator('[data-testid=settings-open]').click();
      const dtype = p.locator('[data-testid=set-tts-dtype]');
      const before = await dtype.inputValue();
      await dtype.selectOption('fp16'); // the stand-in voice model ships fp32 only
      const status = p.locator('[data-testid=config-status]');
      await expect.poll(() => status.innerText().catch(() => ''), { timeout: 120_000 }).toMatch(/Not applied, kept as before: Voice model precision/);
      await expect.poll(() => dtype.inputValue(), { timeout: 10_000 }).toBe(before); // the saved setting went back
      await p.keyboard.press('Escape');
      const answers = p.locator('[data-testid=assistant-text]').filter({ hasText: /\S/ });
      const count = await answers.count();
      const input = p.locator('[data-testid=text-input]');
      await input.fill('Are you still there?');
      await input.press('Enter');
      await expect.poll(() => answers.count(), { timeout: 120_000 }).toBeGreaterThan(count);
      await mute.click();
    } catch (err) {
      await snapshot(p);
      throw new Error(`${err instanceof Error ? err.message : String(err)}${explain()}`);
    }
  }, 300_000);

  it('follows the conversation: after six typed turns the last answer is visible without scrolling', async () => {
    if (!page) throw new Error('page did not open');
    const p = page;
    try {
      // As a person meets it: the page reloaded with a conversation behind it, the "Click to start
      // audio" banner showing (it shrinks the pane), and new turns arriving.
      const mute = p.locator('[data-testid=mute-toggle]');
      if ((await mute.getAttribute('aria-pressed')) !== 'true') await mute.click();
      await p.reload();
      await p.locator('[data-testid=audio-gate]').waitFor({ timeout: 30_000 });
      const answers = p.locator('[data-testid=assistant-text]').filter({ hasText: /\S/ });
      const input = p.locator('[data-testid=text-input]');
      await input.waitFor({ timeout: 30_000 });
      for (let i = 1; i <= 6; i++) {
        const count = await answers.count();
        await input.fill(`Tell me one more thing, number ${i}.`);
        await input.press('Enter');
        await expect.poll(() => answers.count(), { timeout: 120_000 }).toBeGreaterThan(count);
      }
      await p.waitForTimeout(1000); // the last answer's units keep arriving for a moment
      const pane = await p.locator('[data-testid=conversation]').boundingBox();
      const last = await answers.last().boundingBox();
      if (!pane || !last) throw new Error('the conversation or its last answer is not laid out');
      expect(last.y + last.height, 'the last answer ends inside the visible pane').toBeLessThanOrEqual(pane.y + pane.height + 1);
      expect(last.y + last.height, 'and is not scrolled away above it').toBeGreaterThan(pane.y);
      expect(await p.locator('[data-testid=new-messages]').count()).toBe(0);
      const gate = p.locator('[data-testid=audio-gate]'); // typing may already have started audio
      if (await gate.count()) await gate.click();
      if ((await mute.getAttribute('aria-pressed')) === 'true') await mute.click();
    } catch (err) {
      await snapshot(p);
      throw new Error(`${err instanceof Error ? err.message : String(err)}${explain()}`);
    }
  }, 600_000);

  it('meets WCAG 2.2 AA by axe-core: main view and Settings, light and dark (no serious or critical violation)', async () => {
    if (!page) throw new Error('page did not open');
    const p = page;
    // Evaluated through the devtools protocol, so the page's CSP (no inline scripts) stays as it ships.
    await p.evaluate(readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
    const audit = async (where: string): Promise<string[]> => {
      // A string, not a function: the test has no DOM types, the page does.
      const found = (await p.evaluate(`(async () => {
        const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] });
        return result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target) + ' ' + (n.failureSummary || '')).join(' | '));
      })()`)) as string[];
      return found.map((f) => `${where}: ${f}`);
    };
    const violations: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await p.emulateMedia({ colorScheme: scheme });
      await p.waitForTimeout(200);
      violations.push(...(await audit(`main view, ${scheme}`)));
      await p.locator('[data-testid=settings-open]').click();
      await p.locator('[data-testid=settings-panel]').waitFor({ timeout: 10_000 });
      await p.waitForTimeout(300);
      violations.push(...(await audit(`Settings, ${scheme}`)));
      // The dialog is modal: Tab and Shift+Tab never leave it.
      for (const key of ['Tab', 'Shift+Tab']) {
        for (let i = 0; i < 40; i++) await p.keyboard.press(key);
        const inside = await p.evaluate(`document.querySelector('[data-testid=settings-panel]').contains(document.activeElement)`);
        expect(inside, `${key} stays in the Settings dialog`).toBe(true);
      }
      await p.keyboard.press('Escape');
    }
    await p.emulateMedia({ colorScheme: 'light' });
    expect(violations).toEqual([]);
  }, 120_000);

  it('hears the fake microphone, answers, and shows the spoken turn with every stage', async () => {
    if (!page) throw new Error('page did not open');
    const p = page;
    try {
      // The app starts in always-listening mode; switch to it if a stored setting said otherwise.
      const toggle = p.locator('[data-testid=mode-toggle]');
      await toggle.waitFor({ timeout: 30_000 });
      if ((await toggle.getAttribute('data-mode')) !== 'always-listening') await toggle.click();
      expect(await p.locator('[data-testid=mute-toggle]').getAttribute('aria-pressed')).not.toBe('true');

      // a spoken turn: any final transcript other than the typed message of the previous test
      const transcript = p
        .locator('[data-testid=user-transcript][data-final=true]')
        .filter({ hasText: /\S/ })
        .filter({ hasNotText: TYPED_MESSAGE })
        .first();
      await transcript.waitFor({ timeout: 240_000 });
      expect((await transcript.innerText()).trim().length).toBeGreaterThan(0);

      const assistant = p.locator('[data-testid=assistant-text]').filter({ hasText: /\S/ }).last();
      await assistant.waitFor({ timeout: 120_000 });
      expect((await assistant.innerText()).trim().length).toBeGreaterThan(0);

      await expectWaterfallRow(p, STAGES, 120_000);
      expect(pageLog.filter((l) => /Content Security Policy|Refused to/i.test(l)), 'CSP violations').toEqual([]);
      expect(pageLog.filter((l) => l.startsWith('[pageerror]')), 'page errors').toEqual([]);
    } catch (err) {
      await snapshot(p);
      throw new Error(`${err instanceof Error ? err.message : String(err)}${explain()}`);
    }
  }, 600_000);

  it('restarts a killed engine process within 2 s, tells the page, and keeps the conversation', async () => {
    if (!page || !serve?.child.pid) throw new Error('page or server did not start');
    const p = page;
    try {
      // The engine is the child of the serve process (started by this test) that runs worker.ts.
      const enginePid = engineChildPid(serve.child.pid);
      if (enginePid === undefined) throw new Error('found no engine child process of serve');
      const framesBefore = socketFrames.length;
      const killedAt = Date.now();
      process.kill(enginePid, 'SIGKILL');

      const notice = async (status: string, timeoutMs: number): Promise<{ restartMs?: number; pid?: number }> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          for (const f of socketFrames.slice(framesBefore)) {
            const e = JSON.parse(f) as { type?: string; status?: string; restartMs?: number; pid?: number };
            if (e.type === 'host' && e.status === status) return e;
          }
          if (Date.now() > deadline) throw new Error(`no "${status}" host notice reached the page within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await notice('crashed', 2000);
      // a new engine process is spawned well within 2 s of the crash …
      const servePid = serve.child.pid;
      await expect.poll(() => engineChildPid(servePid), { timeout: 2000, interval: 50 }).toSatisfy((pid) => pid !== undefined && pid !== enginePid);
      const respawnMs = Date.now() - killedAt;
      expect(respawnMs).toBeLessThan(2000);
      // … and reports ready again once its models are loaded
      const restarted = await notice('restarted', 120_000);
      console.log(`engine respawned ${respawnMs} ms after SIGKILL; ready again after ${restarted.restartMs} ms`);

      // The conversation survived: the new engine reloaded its journal.
      const history = await new Promise<Array<{ user: string }>>((resolve, reject) => {
        const token = new URL(url).searchParams.get('token') ?? '';
        const ws = new WebSocket(`ws://127.0.0.1:${new URL(url).port}/engine?token=${token}`);
        const timer = setTimeout(() => reject(new Error('no history event')), 10_000);
        ws.on('open', () => ws.send(JSON.stringify({ type: 'get_history' })));
        ws.on('message', (data, isBinary) => {
          if (isBinary) return;
          const e = JSON.parse(String(data)) as { type?: string; turns?: Array<{ user: string }> };
          if (e.type === 'history' && e.turns && e.turns.length > 0) {
            clearTimeout(timer);
            ws.close();
            resolve(e.turns);
          }
        });
        ws.on('error', reject);
      });
      expect(history.some((t) => t.user === TYPED_MESSAGE)).toBe(true);

      // and the page keeps working with the new engine
      const mute = p.locator('[data-testid=mute-toggle]');
      if ((await mute.getAttribute('aria-pressed')) !== 'true') await mute.click();
      const replies = await p.locator('[data-testid=assistant-text]').count();
      const input = p.locator('[data-testid=text-input]');
      await input.fill('And what happened next?');
      await input.press('Enter');
      await expect.poll(() => p.locator('[data-testid=assistant-text]').filter({ hasText: /\S/ }).count(), { timeout: 120_000 }).toBeGreaterThan(replies);
    } catch (err) {
      await snapshot(p);
      throw new Error(`${err instanceof Error ? err.message : String(err)}${explain()}`);
    }
  }, 300_000);
});
