/**
 * Written forms Kokoro does not say the way a person would, and what to say instead. Kokoro's own
 * normalizer already expands Dr./Mr./Ms./Mrs., "etc.", years, 1–12 h clock times, $/£ amounts,
 * decimals, thousands separators and digit ranges; espeak (its phonemizer) reads plain numbers,
 * ordinals ("1st") and "%". What it lacks: an abbreviation's period is taken as a sentence pause
 * ("Fig. 3" → "fig | three"), "e.g." is spelled out, ISO dates become "2024 to 03 to 15", 24-hour
 * times pause at the colon, "3/4" is "three slash four", "€5" is "euros five", "5°C" is
 * "five degrees C" and unit symbols are spelled ("3 km" → "three K M").
 */

interface Abbreviation {
  /** Without the period, capitalized as usually written. */
  written: string;
  spoken: string;
  /** Only before a number ("No. 5"), only before a capitalized word ("St. Louis"), or before any word. */
  before: 'number' | 'name' | 'word';
  /** Only as written (a capital "V." is an initial or a Roman numeral, not "versus"). */
  exactCase?: boolean;
}

const ABBREVIATIONS: readonly Abbreviation[] = [
  { written: 'e.g', spoken: 'for example', before: 'word' },
  { written: 'i.e', spoken: 'that is', before: 'word' },
  { written: 'vs', spoken: 'versus', before: 'word' },
  { written: 'v', spoken: 'versus', before: 'name', exactCase: true },
  { written: 'approx', spoken: 'approximately', before: 'word' },
  { written: 'ca', spoken: 'circa', before: 'number' },
  { written: 'No', spoken: 'number', before: 'number' },
  { written: 'Nos', spoken: 'numbers', before: 'number' },
  { written: 'Fig', spoken: 'figure', before: 'number' },
  { written: 'Figs', spoken: 'figures', before: 'number' },
  { written: 'Eq', spoken: 'equation', before: 'number' },
  { written: 'p', spoken: 'page', before: 'number' },
  { written: 'pp', spoken: 'pages', before: 'number' },
  { written: 'Vol', spoken: 'volume', before: 'number' },
  { written: 'Ch', spoken: 'chapter', before: 'number' },
  { written: 'Sec', spoken: 'section', before: 'number' },
  { written: 'Apt', spoken: 'apartment', before: 'word' },
  { written: 'Dept', spoken: 'department', before: 'word' },
  { written: 'est', spoken: 'established', before: 'number' },
  { written: 'Prof', spoken: 'Professor', before: 'name' },
  { written: 'Mt', spoken: 'Mount', before: 'name' },
  { written: 'St', spoken: 'Saint', before: 'name' },
  { written: 'Sen', spoken: 'Senator', before: 'name' },
  { written: 'Rep', spoken: 'Representative', before: 'name' },
  { written: 'Gov', spoken: 'Governor', before: 'name' },
  { written: 'Gen', spoken: 'General', before: 'name' },
  { written: 'Capt', spoken: 'Captain', before: 'name' },
  { written: 'Lt', spoken: 'Lieutenant', before: 'name' },
  { written: 'Sgt', spoken: 'Sergeant', before: 'name' },
  { written: 'Rev', spoken: 'Reverend', before: 'name' },
  { written: 'Jr', spoken: 'Junior', before: 'word' },
  ...['January', 'February', 'March', 'April', 'June', 'July', 'August', 'September', 'October', 'November', 'December'].flatMap(
    (month): Abbreviation[] => {
      const short = month.slice(0, 3);
      const forms: Abbreviation[] = [{ written: short, spoken: month, before: 'number' }];
      if (month === 'September') forms.push({ written: 'Sept', spoken: month, before: 'number' });
      return forms;
    },
  ),
];

const FOLLOWERS: Readonly<Record<Abbreviation['before'], string>> = {
  number: '(?=[ \\t\\u00A0]+\\d)',
  name: '(?=[ \\t\\u00A0]+\\p{Lu})',
  // Wherever it stands as a word, also last in a unit (a cut may fall right after it) or before punctuation.
  word: '(?![\\p{L}\\p{N}])',
};

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** [pattern, spoken] pairs; a written form matches capitalized or in lowercase. */
const ABBREVIATION_RULES: ReadonlyArray<readonly [RegExp, string]> = ABBREVIATIONS.map(({ written, spoken, before, exactCase }) => {
  const first = written[0] as string;
  const forms = exactCase ? escape(written) : `[${first.toUpperCase()}${first.toLowerCase()}]${escape(written.slice(1))}`;
  return [new RegExp(`(?<![\\p{L}\\p{N}.])${forms}\\.${FOLLOWERS[before]}`, 'gu'), spoken] as const;
});

/** Units espeak (Kokoro's phonemizer) spells letter by letter ("3 km" → "three K M"). */
const UNITS: Readonly<Record<string, readonly [string, string]>> = {
  km: ['kilometer', 'kilometers'],
  'km/h': ['kilometer per hour', 'kilometers per hour'],
  m: ['meter', 'meters'],
  cm: ['centimeter', 'centimeters'],
  mm: ['millimeter', 'millimeters'],
  kg: ['kilogram', 'kilograms'],
  g: ['gram', 'grams'],
  mg: ['milligram', 'milligrams'],
  lb: ['pound', 'pounds'],
  lbs: ['pound', 'pounds'],
  oz: ['ounce', 'ounces'],
  ml: ['milliliter', 'milliliters'],
  l: ['liter', 'liters'],
  mph: ['mile per hour', 'miles per hour'],
  kwh: ['kilowatt hour', 'kilowatt hours'],
  kw: ['kilowatt', 'kilowatts'],
  hz: ['hertz', 'hertz'],
  khz: ['kilohertz', 'kilohertz'],
  mhz: ['megahertz', 'megahertz'],
  ghz: ['gigahertz', 'gigahertz'],
  kb: ['kilobyte', 'kilobytes'],
  mb: ['megabyte', 'megabytes'],
  gb: ['gigabyte', 'gigabytes'],
  tb: ['terabyte', 'terabytes'],
};
const NUMBER_WITH_UNIT = /(?<![\p{L}\p{N}.,])(\d+(?:[.,]\d+)?)[ \u00A0]?(km\/h|kWh|kW|kHz|MHz|GHz|km|cm|mm|kg|mg|ml|lbs?|oz|mph|Hz|kB|KB|MB|GB|TB|m|g|l)(?![\p{L}\p{N}/])/gu;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const FRACTIONS: Readonly<Record<string, string>> = {
  '1/2': 'one half',
  '1/3': 'one third',
  '2/3': 'two thirds',
  '1/4': 'one quarter',
  '3/4': 'three quarters',
  '1/8': 'one eighth',
  '3/8': 'three eighths',
  '5/8': 'five eighths',
  '7/8': 'seven eighths',
};

/** Applies the spoken forms to already de-marked-up text. */
export function spokenForms(text: string): string {
  let out = text;
  out = out.replace(/€[ \u00A0]?(\d+)(?:[.,](\d{1,2}))?(?!\d)/g, eurosInWords);
  out = out.replace(/(?<![\d.,])(\d+)(?:[.,](\d{1,2}))?[ \u00A0]?€/g, eurosInWords);
  out = out.replace(/[ \u00A0]?°[ \u00A0]?C\b/g, ' degrees Celsius').replace(/[ \u00A0]?°[ \u00A0]?F\b/g, ' degrees Fahrenheit');
  out = out.replace(NUMBER_WITH_UNIT, unitInWords);
  for (const [pattern, spoken] of ABBREVIATION_RULES) {
    out = out.replace(pattern, (match: string) => (/^\p{Lu}/u.test(match) && /^\p{Ll}/u.test(spoken) ? capitalize(spoken) : spoken));
  }
  // ISO dates: "2024-03-15" → "March 15, 2024".
  out = out.replace(/\b(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b(?!-)/g, (_m: string, y: string, m: string, d: string) => {
    return `${MONTHS[Number(m) - 1] ?? m} ${Number(d)}, ${y}`;
  });
  // 24-hour clock times Kokoro leaves alone: "14:30" → "14 30", "14:00" → "14 hundred", "09:05" → "9 oh 5".
  out = out.replace(/(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])/g, (match: string, h: string, m: string) => {
    const hour = Number(h);
    if (hour >= 1 && hour <= 12 && !h.startsWith('0')) return match; // Kokoro reads these
    const minutes = Number(m);
    if (minutes === 0) return `${hour} hundred`;
    return minutes < 10 ? `${hour} oh ${minutes}` : `${hour} ${minutes}`;
  });
  // Common fractions: "3/4 cup" → "three quarters cup" (not dates like 3/4/2024, not 50/50).
  out = out.replace(/(?<![\d/])([1-7])\/([2348])(?![\d/])/g, (match: string) => FRACTIONS[match] ?? match);
  return out;
}

function unitInWords(_match: string, amount: string, unit: string): string {
  const names = UNITS[unit.toLowerCase()];
  if (!names) return _match;
  return `${amount} ${amount === '1' ? names[0] : names[1]}`;
}

function eurosInWords(_match: string, whole: string, cents: string | undefined): string {
  const euros = `${whole} ${whole === '1' ? 'euro' : 'euros'}`;
  if (!cents || /^0+$/.test(cents)) return euros;
  const n = Number(cents.padEnd(2, '0'));
  return `${euros} and ${n} ${n === 1 ? 'cent' : 'cents'}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
