// Writes the app and tray icons (PNG, no dependencies): node resources/generate-icons.mjs
// A rounded square with three "sound bars", the same mark as the UI header.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel((x + 0.5) / size, (y + 0.5) / size);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r; raw[o + 1] = g; raw[o + 2] = b; raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const BARS = [
  { cx: 0.34, h: 0.32 },
  { cx: 0.5, h: 0.52 },
  { cx: 0.66, h: 0.24 },
];
const inBar = (u, v) => BARS.some((b) => Math.abs(u - b.cx) < 0.055 && Math.abs(v - 0.5) < b.h / 2);
function inRoundedSquare(u, v, r = 0.22, m = 0.04) {
  const x = Math.min(Math.max(u, m + r), 1 - m - r);
  const y = Math.min(Math.max(v, m + r), 1 - m - r);
  return Math.hypot(u - x, v - y) <= r;
}

const colour = (u, v) => (inRoundedSquare(u, v) ? (inBar(u, v) ? [255, 255, 255, 255] : [79, 91, 213, 255]) : [0, 0, 0, 0]);
// macOS template image: black shape on transparent; the OS tints it.
const template = (u, v) => (inBar(u, v) ? [0, 0, 0, 255] : [0, 0, 0, 0]);

writeFileSync(path.join(here, 'icon.png'), png(512, colour));
writeFileSync(path.join(here, 'tray.png'), png(32, colour));
writeFileSync(path.join(here, 'trayTemplate.png'), png(22, template));
writeFileSync(path.join(here, 'trayTemplate@2x.png'), png(44, template));
writeFileSync(
  path.join(here, 'icon.svg'),
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect x="20" y="20" width="472" height="472" rx="113" fill="#4f5bd5"/>` +
    BARS.map((b) => `<rect x="${(b.cx - 0.055) * 512}" y="${(0.5 - b.h / 2) * 512}" width="${0.11 * 512}" height="${b.h * 512}" rx="${0.055 * 512}" fill="#fff"/>`).join('') +
    `</svg>\n`,
);
console.log('wrote icon.png, tray.png, trayTemplate.png, trayTemplate@2x.png, icon.svg');
