/**
 * Word lists the chunker's sentence and first-unit rules read, per language. All entries are
 * lowercase; abbreviations are written without their final period ("e.g", "z.b"). The chunker
 * uses the union of every language: the lists were chosen so that an entry of one language is not
 * a common sentence-final word of another.
 */

type PerLanguage = Readonly<Record<'en' | 'de' | 'fr' | 'es' | 'it' | 'pt', readonly string[]>>;

/** A period after these never ends a sentence: titles before a name, "e.g.", "vs.", "Dept. of". */
const BEFORE_NAME_OR_PHRASE: PerLanguage = {
  en: [
    'mr', 'mrs', 'ms', 'messrs', 'mmes', 'dr', 'drs', 'prof', 'profs', 'rev', 'hon', 'st', 'ste', 'mt', 'gen', 'col',
    'capt', 'cmdr', 'lt', 'maj', 'sgt', 'cpl', 'pvt', 'adm', 'gov', 'sen', 'rep', 'pres', 'supt', 'insp', 'fr', 'sr',
    'e.g', 'i.e', 'vs', 'v', 'cf', 'viz', 'dept', 'univ', 'assn', 'bros', 'mgr', 'approx', 'ca', 'resp', 'incl',
  ],
  de: [
    'hr', 'hrn', 'fr', 'frl', 'dipl', 'ing', 'z.b', 'd.h', 'u.a', 'o.ä', 'bzw', 'vgl', 'ggf', 'evtl', 'inkl', 'exkl', 'sog',
    'ca', 'z.t', 'i.d.r', 'u.u', 'v.a', 'z.hd', 'gegr', 'geb', 'gest',
  ],
  fr: ['mme', 'mmes', 'mlle', 'mlles', 'mgr', 'pr', 'p.ex', 'env', 'cf', 'av', 'bd'],
  es: ['sr', 'sra', 'sras', 'srta', 'srs', 'dña', 'dra', 'lic', 'ing', 'ud', 'uds', 'vd', 'vds', 'av', 'avda', 'aprox', 'p.ej'],
  it: ['sig', 'sigg', 'dott', 'dott.ssa', 'avv', 'arch', 'geom', 'rag', 'p.es'],
  pt: ['sr', 'sra', 'srta', 'dra', 'exmo', 'exma', 'av', 'aprox'],
};

/** A period after these does not end a sentence when a number follows: "No. 5", "Fig. 3", "Jan. 12". */
const BEFORE_NUMBER: PerLanguage = {
  en: [
    'no', 'nos', 'fig', 'figs', 'eq', 'eqs', 'vol', 'vols', 'ch', 'chap', 'sec', 'art', 'p', 'pp', 'pg', 'para', 'apt',
    'ste', 'rm', 'bldg', 'tel', 'ext', 'op', 'ref', 'est', 'ed', 'rev', 'ver', 'nr', 'jan', 'feb', 'mar', 'apr', 'jun',
    'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'approx', 'ca', 'abt', 'min', 'max', 'hr', 'hrs', 'yr', 'yrs',
  ],
  de: ['nr', 'bd', 'abs', 'abb', 'kap', 's', 'tab', 'jh', 'mio', 'mrd', 'tsd', 'std', 'str', 'okt', 'dez', 'mär'],
  fr: ['n°', 'no', 'vol', 'chap', 'p', 'fig', 'janv', 'févr', 'avr', 'juil', 'sept', 'oct', 'nov', 'déc'],
  es: ['núm', 'nº', 'pág', 'págs', 'cap', 'vol', 'fig', 'ene', 'abr', 'ago', 'dic'],
  it: ['n', 'pag', 'cap', 'vol', 'fig', 'gen', 'febbr', 'giu', 'lug', 'ago', 'sett', 'ott', 'dic'],
  pt: ['n', 'nº', 'pág', 'cap', 'vol', 'fig', 'fev', 'abr', 'mai', 'ago', 'set', 'dez'],
};

/**
 * A period after these ends a sentence only when the next word usually starts one ("etc. Then" but
 * "Inc. shares"). Initialisms ("U.S.", "p.m.") and single capital initials follow the same rule.
 */
const AMBIGUOUS: PerLanguage = {
  en: ['etc', 'inc', 'ltd', 'co', 'corp', 'llc', 'plc', 'jr', 'esq', 'al', 'ave', 'blvd', 'rd', 'hwy', 'ft', 'tue', 'tues',
    'thu', 'thur', 'thurs', 'fri'],
  de: ['usw', 'etc', 'gmbh', 'ag', 'str'],
  fr: ['etc', 'cie', 'sté'],
  es: ['etc', 'cía', 's.a', 'ee.uu'],
  it: ['ecc', 'spa', 's.p.a'],
  pt: ['etc', 'ltda', 's.a', 'cia'],
};

/** Names that contain "!" or "?" ("Yahoo! Sports"): they end a sentence only like an abbreviation. */
export const EXCLAMATION_NAMES: ReadonlySet<string> = new Set(['yahoo', 'jeopardy', 'joomla', 'wham', 'oklahoma', 'mamma mia', 'godspeed']);

/** Words that commonly begin a sentence; after an ambiguous abbreviation they mark a real sentence end. */
const SENTENCE_STARTERS: PerLanguage = {
  en: [
    'i', 'you', 'he', 'she', 'it', 'we', 'they', 'this', 'that', 'these', 'those', 'there', 'here', 'the', 'a', 'an', 'my',
    'our', 'your', 'his', 'her', 'their', 'its', 'some', 'many', 'most', 'all', 'each', 'every', 'one', 'but', 'and', 'so',
    'yet', 'or', 'however', 'then', 'also', 'still', 'now', 'thus', 'therefore', 'meanwhile', 'after', 'before', 'if',
    'when', 'while', 'since', 'because', 'although', 'though', 'as', 'in', 'on', 'at', 'for', 'with', 'what', 'why', 'how',
    'where', 'who', 'which', 'whose', 'yes', 'no', 'ok', 'okay', 'sure', 'well', 'oh', 'hi', 'hello', 'thanks', 'please',
    'let', "let's", "it's", "i'm", "that's", "there's", "here's", "you're", "we're", "they're", "don't", 'do', 'does',
    'did', 'is', 'are', 'was', 'were', 'can', 'could', 'would', 'should', 'will', 'may', 'might', 'to', 'first', 'next',
    'finally', 'overall', 'both', 'another', 'other', 'such', 'not', 'just', 'even', 'only', 'once', 'today', 'tomorrow',
    'yesterday', 'note', 'remember', 'try', 'make', 'take', 'use', 'see', 'keep', 'consider', 'additionally', 'moreover',
    'furthermore', 'instead', 'otherwise', 'unfortunately', 'fortunately', 'again', 'great', 'good', 'sorry',
  ],
  de: ['der', 'die', 'das', 'ein', 'eine', 'es', 'ich', 'du', 'er', 'sie', 'wir', 'ihr', 'und', 'aber', 'dann', 'also',
    'doch', 'wenn', 'als', 'in', 'im', 'am', 'auf', 'mit', 'was', 'wie', 'wo', 'wer', 'warum', 'ja', 'nein', 'dies', 'diese'],
  fr: ['le', 'la', 'les', 'un', 'une', 'il', 'elle', 'je', 'nous', 'vous', 'ils', 'elles', 'on', 'mais', 'et', 'puis',
    'ce', "c'est", 'ces', 'dans', 'en', 'si', 'quand', 'oui', 'non', 'alors', 'pourquoi', 'comment'],
  es: ['el', 'la', 'los', 'las', 'un', 'una', 'yo', 'tú', 'él', 'ella', 'nosotros', 'ellos', 'pero', 'y', 'luego',
    'entonces', 'es', 'esto', 'este', 'esta', 'en', 'si', 'cuando', 'sí', 'no', 'por', 'qué', 'cómo'],
  it: ['il', 'lo', 'la', 'i', 'gli', 'le', 'un', 'una', 'io', 'lui', 'lei', 'noi', 'voi', 'loro', 'ma', 'e', 'poi',
    'allora', 'questo', 'questa', 'se', 'quando', 'sì', 'no', 'perché', 'come'],
  pt: ['o', 'a', 'os', 'as', 'um', 'uma', 'eu', 'ele', 'ela', 'nós', 'eles', 'elas', 'mas', 'e', 'então', 'depois',
    'isto', 'este', 'esta', 'se', 'quando', 'sim', 'não', 'por', 'como'],
};

/** Month names: "der 3. Juli", "le 14. juillet" — a number before them is an ordinal, not a sentence end. */
const MONTHS: PerLanguage = {
  en: ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'],
  de: ['januar', 'jänner', 'februar', 'märz', 'april', 'mai', 'juni', 'juli', 'august', 'september', 'oktober', 'november',
    'dezember', 'jan', 'feb', 'mär', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'okt', 'nov', 'dez'],
  fr: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
  es: ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'],
  it: ['gennaio', 'febbraio', 'marzo', 'aprile', 'maggio', 'giugno', 'luglio', 'agosto', 'settembre', 'ottobre', 'novembre', 'dicembre'],
  pt: ['janeiro', 'fevereiro', 'março', 'abril', 'maio', 'junho', 'julho', 'agosto', 'setembro', 'outubro', 'novembro', 'dezembro'],
};

/**
 * Words a spoken phrase does not end on: articles, prepositions, conjunctions, auxiliaries,
 * subject pronouns, possessives, intensifiers, number words ("three | hundred").
 */
const FUNCTION_WORDS: PerLanguage = {
  en: [
    'the', 'a', 'an', 'of', 'to', 'and', 'or', 'but', 'nor', 'in', 'on', 'at', 'for', 'with', 'by', 'from', 'into', 'onto',
    'upon', 'about', 'as', 'than', 'like', 'over', 'under', 'between', 'through', 'during', 'without', 'within', 'across',
    'against', 'among', 'around', 'toward', 'towards', 'via', 'per', 'is', 'are', 'was', 'were', 'be', 'been', 'being',
    'am', 'has', 'have', 'had', 'do', 'does', 'did', 'will', 'would', 'shall', 'should', 'can', 'could', 'may', 'might',
    'must', 'that', 'this', 'these', 'those', 'which', 'who', 'whom', 'whose', 'what', 'where', 'when', 'why', 'how',
    'if', 'because', 'since', 'while', 'although', 'though', 'unless', 'whether', 'so', 'then', 'i', 'we', 'they', 'he',
    'she', 'my', 'your', 'his', 'her', 'its', 'our', 'their', 'some', 'any', 'no', 'not', 'every', 'each', 'all', 'both',
    'either', 'neither', 'such', 'very', 'too', 'quite', 'rather', 'more', 'most', 'less', 'least', 'just', 'also', 'even',
    'only', 'there', 'here', 'let', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
    'eleven', 'twelve', 'twenty', 'thirty', 'forty', 'fifty', 'hundred', 'thousand', 'million', 'billion', 'trillion',
    'mr', 'mrs', 'ms', 'dr', 'st', '&',
  ],
  de: ['der', 'die', 'das', 'den', 'dem', 'des', 'ein', 'eine', 'einen', 'einem', 'einer', 'und', 'oder', 'aber', 'von',
    'zu', 'mit', 'für', 'auf', 'an', 'in', 'im', 'am', 'bei', 'nach', 'aus', 'ist', 'sind', 'war', 'hat', 'haben', 'wird'],
  fr: ['le', 'la', 'les', 'un', 'une', 'des', 'du', 'de', 'et', 'ou', 'mais', 'à', 'au', 'aux', 'en', 'dans', 'pour',
    'avec', 'sur', 'par', 'est', 'sont', 'je', 'il', 'elle', 'nous', 'vous', 'ils', 'mon', 'ma', 'mes', 'son', 'sa', 'ses'],
  es: ['el', 'la', 'los', 'las', 'un', 'una', 'unos', 'unas', 'de', 'del', 'y', 'o', 'pero', 'a', 'al', 'en', 'con',
    'por', 'para', 'es', 'son', 'que', 'mi', 'tu', 'su', 'sus'],
  it: ['il', 'lo', 'la', 'i', 'gli', 'le', 'un', 'una', 'di', 'del', 'della', 'e', 'o', 'ma', 'a', 'al', 'in', 'con',
    'per', 'su', 'è', 'che'],
  pt: ['o', 'a', 'os', 'as', 'um', 'uma', 'de', 'do', 'da', 'dos', 'das', 'e', 'ou', 'mas', 'em', 'no', 'na', 'com',
    'por', 'para', 'é', 'que'],
};

/** Words that open a noun phrase: a cut right after "a basic" leaves its noun for the next unit. */
const DETERMINERS: PerLanguage = {
  en: ['a', 'an', 'the', 'my', 'your', 'his', 'her', 'its', 'our', 'their', 'this', 'that', 'these', 'those', 'some',
    'any', 'each', 'every', 'no', 'several', 'many', 'few', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight',
    'nine', 'ten', 'other', 'another', 'such'],
  de: ['der', 'die', 'das', 'ein', 'eine', 'einen', 'einem', 'einer', 'dem', 'den', 'des'],
  fr: ['le', 'la', 'les', 'un', 'une', 'des', 'du', 'ce', 'cette', 'ces'],
  es: ['el', 'la', 'los', 'las', 'un', 'una', 'unos', 'unas', 'este', 'esta'],
  it: ['il', 'lo', 'la', 'gli', 'le', 'un', 'una', 'uno'],
  pt: ['o', 'a', 'os', 'as', 'um', 'uma'],
};

/** Common English adjectives without a telling suffix ("a quick | recipe"). */
export const COMMON_ADJECTIVES: ReadonlySet<string> = new Set([
  'good', 'great', 'best', 'better', 'quick', 'simple', 'basic', 'new', 'old', 'big', 'small', 'few', 'brief', 'short',
  'long', 'key', 'main', 'top', 'full', 'high', 'low', 'free', 'common', 'whole', 'real', 'true', 'fun', 'nice',
  'easy', 'hard', 'light', 'dark', 'deep', 'wide', 'vast', 'rich', 'rare', 'fine', 'first', 'last', 'next', 'major',
  'minor', 'general', 'overall', 'complete', 'entire', 'same', 'different', 'various', 'certain', 'specific',
  'particular', 'possible', 'important', 'interesting', 'little', 'large', 'huge', 'tiny', 'strong', 'young',
]);

/** Endings of English adjectives and participles ("a detailed | plan", "a critical | aspect"). */
export const ADJECTIVE_ENDING = /(?:ed|al|ic|ive|ous|ful|less|able|ible|ant|ent|est|ish|ary|ular)$/;

function union(lists: PerLanguage): ReadonlySet<string> {
  return new Set(Object.values(lists).flat());
}

export const NEVER_FINAL_ABBREVIATIONS = union(BEFORE_NAME_OR_PHRASE);
export const BEFORE_NUMBER_ABBREVIATIONS = union(BEFORE_NUMBER);
export const AMBIGUOUS_ABBREVIATIONS = union(AMBIGUOUS);
export const SENTENCE_STARTER_WORDS = union(SENTENCE_STARTERS);
export const MONTH_NAMES = union(MONTHS);
export const PHRASE_INTERNAL_WORDS = union(FUNCTION_WORDS);
export const NOUN_PHRASE_OPENERS = union(DETERMINERS);
