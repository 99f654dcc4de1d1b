import { Menu, Tray, nativeImage } from 'electron';

export interface TrayState {
  listening: boolean;
  muted: boolean;
}

export interface TrayActions {
  show(): void;
  setListening(listening: boolean): void;
  setMuted(muted: boolean): void;
  quit(): void;
}

/** The tray icon: show the window, always-listening on/off, mute, quit. */
export class AppTray {
  private readonly tray: Tray;
  private state: TrayState = { listening: true, muted: false };

  constructor(iconPath: string, private readonly actions: TrayActions) {
    const image = nativeImage.createFromPath(iconPath);
    if (process.platform === 'darwin') image.setTemplateImage(true);
    this.tray = new Tray(image);
    this.tray.setToolTip('Murmur');
    this.tray.on('click', () => actions.show());
    this.render();
  }

  update(next: Partial<TrayState>): void {
    const merged = { ...this.state, ...next };
    if (merged.listening === this.state.listening && merged.muted === this.state.muted) return;
    this.state = merged;
    this.render();
  }

  destroy(): void {
    this.tray.destroy();
  }

  private render(): void {
    const { listening, muted } = this.state;
    this.tray.setToolTip(`Murmur — ${muted ? 'muted' : listening ? 'listening' : 'push-to-talk'}`);
    this.tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Show Murmur', click: () => this.actions.show() },
        { type: 'separator' },
        { label: 'Always listening', type: 'checkbox', checked: listening, click: (item) => this.actions.setListening(item.checked) },
        { label: 'Mute microphone', type: 'checkbox', checked: muted, click: (item) => this.actions.setMuted(item.checked) },
        { type: 'separator' },
        { label: 'Quit Murmur', role: 'quit', click: () => this.actions.quit() },
      ]),
    );
  }
}
