// Python's time formatting, as Ansible's strftime filter, now() and the template module's dates print.
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
