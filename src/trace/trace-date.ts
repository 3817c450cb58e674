/**
 * Dates of Received fields: RFC 5322 `date-time` with its obsolete forms (two-digit years,
 * named zones, missing seconds or weekday), fractional seconds, and the Go `time.String()` form
 * `2020-06-17 16:39:24.757045452 +0000 UTC m=+349867.49`. Work is on a short, bounded string.
 */

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5,
  jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

// RFC 5322 section 4.3 obsolete zones, in minutes east of UTC.
const NAMED_ZONES: Readonly<Record<string, number>> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  edt: -240, est: -300, cdt: -300, cst: -360, mdt: -360, mst: -420, pdt: -420, pst: -480,
};

/** Longest date text looked at; real ones are under 60 characters. */
const MAX_DATE_TEXT = 200;

/** Parses a trace-field date and returns it as ISO 8601 UTC, or null when it is not a date. */
export function parseTraceDate(text: string): string | null {
  const words = text
    .slice(0, MAX_DATE_TEXT)
    .replace(/,/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
  const millis = parseRfc5322(words) ?? parseIsoLike(words);
  if (millis === null || !Number.isFinite(millis)) return null;
  return new Date(millis).toISOString();
}

/**
 * Where a date starts among the last words of a clause, for fields written without `;`.
 * Returns the index of its first word, never below `minIndex`, or null.
 */
export function findTrailingDate(words: string[], minIndex: number): number | null {
  // A date has at most seven words (weekday, day, month, year, time, zone, zone name), plus
  // Go's `m=+…` suffix; looking further back only finds longer non-dates.
  const earliest = Math.max(minIndex, words.length - 8);
  for (let start = earliest; start < words.length; start += 1) {
    if (parseTraceDate(words.slice(start).join(' ')) !== null) return start;
  }
  return null;
}

function parseRfc5322(input: string[]): number | null {
  if (isAsctime(input)) return parseAsctime(input);
  let words = input;
  // The weekday is optional and never checked against the date, as RFC 5322 allows.
  const first = words[0] ?? '';
  if (/^[a-z]{3,}$/i.test(first) && !(first.slice(0, 3).toLowerCase() in MONTHS)) {
    words = words.slice(1);
  }
  const [dayText, monthText, yearText, timeText, ...rest] = words;
  if (!dayText || !monthText || !yearText || !timeText) return null;
  if (!/^\d{1,2}$/.test(dayText)) return null;
  const month = MONTHS[monthText.slice(0, 3).toLowerCase()];
  if (month === undefined) return null;
  const year = fullYear(yearText);
  const time = parseTime(timeText);
  if (year === null || time === null) return null;
  const zone = parseZone(rest[0]);
  if (zone === null) return null;
  return utc(year, month, Number(dayText), time, zone);
}

/** `Mon Aug 19 10:41:21 2019`, which some old relays write. */
function isAsctime(words: string[]): boolean {
  return (
    words.length >= 5 &&
    /^[a-z]{3}$/i.test(words[0] ?? '') &&
    (words[1] ?? '').slice(0, 3).toLowerCase() in MONTHS &&
    /^\d{1,2}$/.test(words[2] ?? '') &&
    /^\d{1,2}:\d{2}/.test(words[3] ?? '') &&
    /^\d{4}$/.test(words[4] ?? '')
  );
}

function parseAsctime(words: string[]): number | null {
  const month = MONTHS[(words[1] ?? '').slice(0, 3).toLowerCase()];
  const time = parseTime(words[3] ?? '');
  const zone = parseZone(words[5]);
  if (month === undefined || time === null || zone === null) return null;
  return utc(Number(words[4]), month, Number(words[2]), time, zone);
}

/** `2020-06-17 16:39:24.757 +0000 UTC` and `2020-06-17T16:39:24Z`. */
function parseIsoLike(words: string[]): number | null {
  let [dateText, timeText, zoneText] = words;
  if (!dateText) return null;
  const joined = /^(\d{4}-\d{2}-\d{2})T(.+)$/.exec(dateText);
  if (joined) {
    dateText = joined[1] as string;
    const zoneAt = (joined[2] as string).search(/[Z+-]/);
    timeText = zoneAt >= 0 ? (joined[2] as string).slice(0, zoneAt) : joined[2];
    zoneText = zoneAt >= 0 ? (joined[2] as string).slice(zoneAt).replace(':', '') : 'Z';
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateText);
  if (!date || !timeText) return null;
  const time = parseTime(timeText);
  const zone = parseZone(zoneText);
  if (time === null || zone === null) return null;
  return utc(Number(date[1]), Number(date[2]) - 1, Number(date[3]), time, zone);
}

interface TimeOfDay {
  hours: number;
  minutes: number;
  seconds: number;
  millis: number;
}

function parseTime(text: string): TimeOfDay | null {
  const match = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(text);
  if (!match) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  const seconds = match[3] === undefined ? 0 : Number(match[3]);
  // Fractions beyond milliseconds (Go writes nanoseconds) are cut, not rounded.
  const millis = match[4] === undefined ? 0 : Number(match[4].padEnd(3, '0').slice(0, 3));
  if (hours > 23 || minutes > 59 || seconds > 60) return null;
  return { hours, minutes, seconds, millis };
}

/** Minutes east of UTC; a missing or military zone counts as UTC (RFC 5322 4.3 says -0000). */
function parseZone(text: string | undefined): number | null {
  if (text === undefined) return 0;
  const numeric = /^([+-])(\d{2})(\d{2})$/.exec(text);
  if (numeric) {
    const minutes = Number(numeric[2]) * 60 + Number(numeric[3]);
    if (Number(numeric[3]) > 59) return null;
    return numeric[1] === '-' ? -minutes : minutes;
  }
  const named = NAMED_ZONES[text.toLowerCase()];
  if (named !== undefined) return named;
  if (/^[a-ik-z]$/i.test(text)) return 0;
  return null;
}

/** RFC 5322 4.3: two-digit years below 50 are 20xx, others 19xx; three digits add 1900. */
function fullYear(text: string): number | null {
  if (!/^\d{2,4}$/.test(text)) return null;
  const year = Number(text);
  if (text.length === 2) return year < 50 ? 2000 + year : 1900 + year;
  if (text.length === 3) return 1900 + year;
  return year;
}

function utc(year: number, month: number, day: number, t: TimeOfDay, zone: number): number | null {
  if (day < 1 || day > 31) return null;
  const local = Date.UTC(year, month, day, t.hours, t.minutes, Math.min(t.seconds, 59), t.millis);
  return local - zone * 60_000;
}
