import { decodeHTML } from 'entities';
import { spokenForms } from './spoken-forms';

/** Emoji and pictographs, with their modifiers: flags, skin tones, joiners, variation selectors, keycaps. */
const PICTOGRAPHS = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\p{Emoji_Modifier}|\u200D|\uFE0E|\uFE0F|\u20E3/gu;

/** A markdown table row ("| a | b |") and its separator row ("|---|:--:|"). */
const TABLE_SEPARATOR_ROW = /^[ \t]*\|?(?:[ \t]*:?-{2,}:?[ \t]*\|)+(?:[ \t]*:?-{2,}:?[ \t]*)?$/gm;
const TABLE_ROW = /^[ \t]*\|(.*)\|[ \t]*$/gm;

/** Top-level domains spoken as a domain name when they end a dotted word ("example.com"). */
const SPOKEN_TLDS =
  'com|org|net|edu|gov|io|ai|dev|app|co|uk|us|de|fr|es|it|nl|eu|ca|au|jp|ch|at|info|biz|me|tv|ly|gg|xyz|tech|cloud|page|site';
const URL = /\b(?:https?|ftp):\/\/([^\s/?#<>()"'\]]+)[^\s<>()"'\]]*|\bwww\.([^\s/?#<>()"'\]]+)[^\s<>()"'\]]*/gi;
const EMAIL = /\b([\p{L}\p{N}._%+-]+)@([\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+)/gu;
const BARE_DOMAIN = new RegExp(`\\b((?:[a-z0-9-]{2,}\\.)+(?:${SPOKEN_TLDS}))\\b(?:/[^\\s)\\]"']*)?`, 'g');

/** "example.com" → "example dot com" (Kokoro would pause at the dot and say nothing). */
function domainInWords(host: string): string {
  return host
    .replace(/^www\./i, '')
    .replace(/:\d+$/, '')
    .split('.')
    .filter(Boolean)
    .join(' dot ');
}

/**
 * Text as it should be spoken: HTML entities decoded; markdown (emphasis, inline code, headings,
 * bullets, links, code blocks, tables, rules), emoji and other pictographs removed; URLs and
 * e-mail addresses said as their domain in words; tables read row by row; what Kokoro's own
 * normalizer and espeak do not read naturally written out (`spokenForms`); whitespace collapsed.
 * Numbers, $/£ amounts, years, 12-hour times and percentages are left to Kokoro, which reads them.
 */
export function cleanForSpeech(text: string): string {
  let out = decodeHTML(text);
  out = out.replace(/```[^\n]*\n[\s\S]*?```/g, ' '); // whole fenced code blocks
  out = out.replace(/```[\w+-]*/g, ' '); // a stray fence
  out = out.replace(/<((?:https?|ftp|mailto):[^\s>]+)>/gi, '$1'); // autolinks
  out = out.replace(/!\[([^\]\n]*)\]\([^)\n]*\)/g, '$1'); // images → alt text
  out = out.replace(/\[([^\]\n]+)\]\([^)\n]*\)/g, '$1'); // links → link text (a link does not span lines)
  out = out.replace(/\]\([^)\s]*\)/g, ']'); // the target of a link that a unit cut could not keep whole is not read out
  // HTML tags (<br>, <b>, <a href="…">): attributes as HTML writes them, so "a <b and c> d" stays text.
  out = out.replace(/<\/?[a-z][a-z0-9]*(?:\s+[a-z_:][-a-z0-9_:.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*\/?>/gi, ' ');
  out = out.replace(URL, (match: string, host: string | undefined, wwwHost: string | undefined) => {
    // A sentence's own punctuation after the URL is not part of it.
    const trailing = /[.,;:!?]+$/.exec(match)?.[0] ?? '';
    return domainInWords((host ?? `www.${wwwHost ?? ''}`).replace(/[.,;:!?]+$/, '')) + trailing;
  });
  out = out.replace(/\bmailto:/gi, '');
  out = out.replace(EMAIL, (_m: string, user: string, host: string) => `${user.split('.').join(' dot ')} at ${domainInWords(host)}`);
  out = out.replace(BARE_DOMAIN, (_m: string, host: string) => domainInWords(host));
  out = out.replace(/`([^`]*)`/g, '$1');
  out = out.replace(/`/g, '');
  out = out.replace(TABLE_SEPARATOR_ROW, ' ');
  out = out.replace(TABLE_ROW, (_m: string, cells: string) => tableRowInWords(cells));
  out = out.replace(/^[ \t]*(?:[-*_][ \t]*){3,}$/gm, ' '); // horizontal rules
  out = out.replace(/^[ \t]{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/gm, '$1'); // headings, with closing #s
  out = out.replace(/^[ \t]*>+[ \t]?/gm, ''); // block quotes
  out = out.replace(/^[ \t]*[-*+•◦▪][ \t]+/gm, ''); // bullets
  out = out.replace(/(?<!\s)\*+|\*+(?!\s)/g, ''); // emphasis; keeps "2 * 3"
  out = out.replace(/(^|[^\p{L}\p{N}])_+(?=\S)/gu, '$1').replace(/(?<=\S)_+(?=[^\p{L}\p{N}_]|$)/gu, '');
  out = out.replace(/~~/g, '');
  // A spaced hyphen is a dash: "to" in a range ("9 - 17"), else the pause Kokoro makes at "—".
  out = out.replace(/(?<=\d(?:\s?[ap]\.?m\.?)?)[ \t]+[-–][ \t]+(?=\d)/gi, ' to ');
  out = out.replace(/(?<=\S)[ \t]+[-–](?=[ \t]|$)/gm, ' —');
  out = out.replace(/\|/g, ' ');
  out = spokenForms(out);
  out = out.replace(PICTOGRAPHS, ' ');
  out = out.replace(/\s+/g, ' ').trim();
  out = out.replace(/ +([,.!?;:…])/g, '$1');
  // Nothing speakable (only punctuation left after removing emoji or markup).
  if (!/[\p{L}\p{N}]/u.test(out)) return '';
  return out;
}

/** "| Name | Age |" → "Name, Age." so a table is read row by row. */
function tableRowInWords(cells: string): string {
  const spoken = cells
    .split('|')
    .map((cell) => cell.trim())
    .filter((cell) => /[\p{L}\p{N}]/u.test(cell));
  if (spoken.length === 0) return ' ';
  const row = spoken.join(', ');
  return /[.!?…:;]$/.test(row) ? row : `${row}.`;
}
