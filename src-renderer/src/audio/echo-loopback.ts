/**
 * Chromium's echo canceller only "hears" audio played through a media element fed by WebRTC,
 * not Web Audio output (crbug.com/687574). So reply audio goes
 * MediaStreamDestination → local RTCPeerConnection pair (host candidates only) → <audio>,
 * which lets the mic's AEC subtract it. Callers fall back to direct output when this fails, and
 * say so (the UI then asks for headphones).
 *
 * Establishing the route needs no user gesture; playing the element does (autoplay policy), so
 * `start()` is separate: it rejects with a NotAllowedError until the page has been clicked, and the
 * route stays ready for the next try.
 */
export interface EchoLoopback {
  readonly element: HTMLAudioElement;
  /** Plays the received stream; call again after a user gesture if it was refused. */
  start(): Promise<void>;
  /** True while the element is not playing (e.g. the browser refused autoplay). */
  readonly paused: boolean;
  setOutputDevice(deviceId: string): Promise<void>;
  close(): void;
}

/** The browser refused to play or start audio until the user interacts with the page. */
export function isAutoplayRefusal(err: unknown): boolean {
  return (err instanceof DOMException || err instanceof Error) && err.name === 'NotAllowedError';
}

/** Ask the sender for mono Opus at a bitrate where speech is transparent. */
function preferHighQualityOpus(sdp: string): string {
  const match = /a=rtpmap:(\d+) opus\/48000/i.exec(sdp);
  if (!match) return sdp;
  const pt = match[1];
  return sdp.replace(new RegExp(`a=fmtp:${pt} ([^\\r\\n]*)`), (_line, params: string) => {
    const extra = params.includes('maxaveragebitrate') ? '' : ';maxaveragebitrate=128000';
    return `a=fmtp:${pt} ${params}${extra}`;
  });
}

export async function createEchoLoopback(stream: MediaStream, timeoutMs = 4000): Promise<EchoLoopback> {
  if (typeof RTCPeerConnection === 'undefined') throw new Error('WebRTC is not available');
  const sender = new RTCPeerConnection({ iceServers: [] });
  const receiver = new RTCPeerConnection({ iceServers: [] });
  const element = new Audio();
  element.autoplay = true;
  const close = (): void => {
    element.pause();
    element.srcObject = null;
    sender.close();
    receiver.close();
  };
  try {
    sender.onicecandidate = (e) => {
      if (e.candidate) void receiver.addIceCandidate(e.candidate).catch(() => undefined);
    };
    receiver.onicecandidate = (e) => {
      if (e.candidate) void sender.addIceCandidate(e.candidate).catch(() => undefined);
    };
    const remote = new Promise<MediaStream>((resolve) => {
      receiver.ontrack = (e) => resolve(e.streams[0] ?? new MediaStream([e.track]));
    });
    for (const track of stream.getAudioTracks()) sender.addTrack(track, stream);

    const offer = await sender.createOffer();
    await sender.setLocalDescription(offer);
    await receiver.setRemoteDescription(offer);
    const answer = await receiver.createAnswer();
    await receiver.setLocalDescription(answer);
    await sender.setRemoteDescription({ type: 'answer', sdp: preferHighQualityOpus(answer.sdp ?? '') });

    const connected = new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (receiver.connectionState === 'connected') resolve();
        else if (receiver.connectionState === 'failed') reject(new Error('loopback connection failed'));
      };
      receiver.onconnectionstatechange = check;
      check();
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`loopback did not connect within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      element.srcObject = await Promise.race([remote, timeout]);
      await Promise.race([connected, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return {
      element,
      start: () => element.play(),
      get paused() {
        return element.paused;
      },
      async setOutputDevice(deviceId: string) {
        const el = element as HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> };
        if (el.setSinkId) await el.setSinkId(deviceId);
      },
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}
