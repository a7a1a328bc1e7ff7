// Python's time formatting, as Ansible's strftime filter, now() and the template module's dates print.
import { regExpLiteral } from './pyregex';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Python's time.strftime (C locale) of a moment, local time or UTC; %f is microseconds as datetime's. */
export function pythonStrftime(format: string, when: Date, utc = false): string {
  const get = (local: () => number, inUtc: () => number) => (utc ? inUtc() : local());
  const year = get(
    () => when.getFullYear(),
    () => when.getUTCFullYear(),
  );
  const month = get(
    () => when.getMonth(),
    () => when.getUTCMonth(),
  );
  const day = get(
    () => when.getDate(),
    () => when.getUTCDate(),
  );
  const hour = get(
    () => when.getHours(),
    () => when.getUTCHours(),
  );
  const weekday = get(
    () => when.getDay(),
    () => when.getUTCDay(),
  );
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const yearDay = Math.floor((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  const offset = utc ? 0 : -when.getTimezoneOffset();
  const codes: Record<string, () => string> = {
    Y: () => String(year),
    y: () => p(year % 100),
    m: () => p(month + 1),
    d: () => p(day),
    e: () => String(day).padStart(2, ' '),
    H: () => p(hour),
    I: () => p(hour % 12 || 12),
    p: () => (hour < 12 ? 'AM' : 'PM'),
    M: () =>
      p(
        get(
          () => when.getMinutes(),
          () => when.getUTCMinutes(),
        ),
      ),
    S: () =>
      p(
        get(
          () => when.getSeconds(),
          () => when.getUTCSeconds(),
        ),
      ),
    f: () => p(when.getMilliseconds() * 1000, 6),
    s: () => String(Math.floor(when.getTime() / 1000)),
    j: () => p(yearDay, 3),
    a: () => DAYS[weekday].slice(0, 3),
    A: () => DAYS[weekday],
    w: () => String(weekday),
    b: () => MONTHS[month].slice(0, 3),
    h: () => MONTHS[month].slice(0, 3),
    B: () => MONTHS[month],
    z: () => `${offset < 0 ? '-' : '+'}${p(Math.floor(Math.abs(offset) / 60))}${p(Math.abs(offset) % 60)}`,
    Z: () =>
      utc
        ? 'UTC'
        : (Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
            .formatToParts(when)
            .find((x) => x.type === 'timeZoneName')?.value ?? ''),
    F: () => `${year}-${p(month + 1)}-${p(day)}`,
    T: () => `${p(hour)}:${codes.M()}:${codes.S()}`,
    '%': () => '%',
  };
  return format.replace(/%([A-Za-z%])/g, (all, code: string) => (codes[code] ? codes[code]() : all));
}

/** Python's str(datetime): `2026-12-02 21:10:05.123456`. */
export function pythonDateTime(when: Date, utc = false): string {
  return pythonStrftime('%Y-%m-%d %H:%M:%S.%f', when, utc);
}

/** A wall-clock time as Python's time.strptime reads it, without a zone (the host's local time applies). */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const MONTH_NAME = `(${MONTHS.map((m) => `${m}|${m.slice(0, 3)}`).join('|')})`;

/** What each directive of time.strptime matches, and where the match goes. */
// Python's own patterns (_strptime.py): a month 13 does not match.
const STRPTIME: Record<string, { pattern: string; set(clock: WallClock & { pm?: boolean }, text: string): void }> = {
  Y: { pattern: '(\\d{4})', set: (c, t) => (c.year = Number(t)) },
  y: { pattern: '(\\d{2})', set: (c, t) => (c.year = Number(t) + (Number(t) < 69 ? 2000 : 1900)) },
  m: { pattern: '(1[0-2]|0[1-9]|[1-9])', set: (c, t) => (c.month = Number(t)) },
  d: { pattern: '(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])', set: (c, t) => (c.day = Number(t)) },
  H: { pattern: '(2[0-3]|[0-1]\\d|\\d)', set: (c, t) => (c.hour = Number(t)) },
  I: { pattern: '(1[0-2]|0[1-9]|[1-9])', set: (c, t) => (c.hour = Number(t) % 12) },
  M: { pattern: '([0-5]\\d|\\d)', set: (c, t) => (c.minute = Number(t)) },
  S: { pattern: '(6[0-1]|[0-5]\\d|\\d)', set: (c, t) => (c.second = Number(t)) },
  p: { pattern: '(AM|PM)', set: (c, t) => (c.pm = t.toUpperCase() === 'PM') },
  b: { pattern: MONTH_NAME, set: (c, t) => (c.month = MONTHS.findIndex((m) => m.slice(0, 3).toLowerCase() === t.slice(0, 3).toLowerCase()) + 1) },
  '%': { pattern: '%', set: () => undefined },
};
STRPTIME.B = STRPTIME.b;
STRPTIME.h = STRPTIME.b;

/**
 * Python's time.strptime of the directives Ansible content uses for file times (%Y %y %m %d %H %I
 * %M %S %p %b %B): the wall clock it names, or Python's ValueError message.
 */
export function pythonStrptime(text: string, format: string): WallClock {
  const setters: ((clock: WallClock & { pm?: boolean }, t: string) => void)[] = [];
  let pattern = '';
  for (const part of format.split(/(%.)/)) {
    if (!/^%.$/.test(part)) {
      pattern += regExpLiteral(part).replace(/\s+/g, '\\s+');
      continue;
    }
    const directive = STRPTIME[part[1]];
    if (!directive) throw new Error(`'${part[1]}' is a bad directive in format '${format}'`);
    pattern += directive.pattern;
    if (part !== '%%') setters.push(directive.set);
  }
  const match = new RegExp(`^${pattern}`, 'i').exec(text);
  if (!match) throw new Error(`time data '${text}' does not match format '${format}'`);
  if (match[0].length < text.length) throw new Error(`unconverted data remains: ${text.slice(match[0].length)}`);
  const clock: WallClock & { pm?: boolean } = { year: 1900, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const [i, set] of setters.entries()) set(clock, match[i + 1]);
  if (clock.pm) clock.hour += 12;
  const { pm: _pm, ...wall } = clock;
  return wall;
}
