// Ansible's version test: the version classes it compares with (LooseVersion, StrictVersion,
// SemanticVersion, PEP 440) and its refusals, in its words.

type Part = number | string;

/** Python's comparison of two sequences; an int meeting a str is Python's TypeError. */
function compareParts(a: Part[], b: Part[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i], b[i]];
    if (x === y) continue;
    if (typeof x !== typeof y)
      throw new Error(`'<' not supported between instances of '${typeof x === 'number' ? 'int' : 'str'}' and '${typeof y === 'number' ? 'int' : 'str'}'`);
    return x < y ? -1 : 1;
  }
  return a.length - b.length === 0 ? 0 : a.length < b.length ? -1 : 1;
}

/** distutils' LooseVersion: runs of digits as numbers, of letters as text, other characters kept but dots. */
function loose(text: string): Part[] {
  return text
    .split(/(\d+|[a-z]+|\.)/)
    .filter((x) => x && x !== '.')
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
}

/** distutils' StrictVersion: N.N[.N] with an optional aN or bN pre-release, which sorts before the release. */
function strict(text: string): Part[] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(text);
  if (!m) throw new Error(`invalid version number '${text}'`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0), m[4] ? `0${m[4]}` : '1', Number(m[5] ?? 0)];
}

/** Semantic Versioning 2.0.0, as Ansible's SemanticVersion: build metadata does not count. */
function semver(text: string): { release: number[]; pre: Part[] | undefined } {
  const m =
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z.-]+)?$/.exec(
      text,
    );
  if (!m) throw new Error(`invalid semantic version '${text}'`);
  const pre = m[4]?.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return { release: [Number(m[1]), Number(m[2]), Number(m[3])], pre };
}

function compareSemver(a: string, b: string): number {
  const [x, y] = [semver(a), semver(b)];
  const release = compareParts(x.release, y.release);
  if (release || (!x.pre && !y.pre)) return release;
  if (!x.pre || !y.pre) return x.pre ? -1 : 1;
  // Numeric identifiers sort before alphanumeric ones.
  const key = (p: Part[]) => p.map((v) => (typeof v === 'number' ? `0${String(v).padStart(20, '0')}` : `1${v}`));
  return compareParts(key(x.pre), key(y.pre));
}

/** PEP 440 (packaging's Version): release, then dev < a < b < rc < final < post. */
function pep440(text: string): number[] {
  const m =
    /^v?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|rc|c|pre|preview)[-_.]?(\d*))?(?:(?:-(\d+))|(?:[-_.]?(?:post|rev|r)[-_.]?(\d*)))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$/i.exec(
      text.trim(),
    );
  if (!m) throw new Error(`Invalid version: '${text}'`);
  const release = m[1].split('.').map(Number);
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  const phase = m[2] ? { a: 0, alpha: 0, b: 1, beta: 1, rc: 2, c: 2, pre: 2, preview: 2 }[m[2].toLowerCase()]! : undefined;
  const post = m[4] ?? m[5];
  const dev = m[6];
  // A dev release of a final version sorts before its pre-releases; a final after them.
  const pre = phase !== undefined ? [phase, Number(m[3] || 0)] : dev !== undefined && post === undefined ? [-1, 0] : [3, 0];
  return [
    ...release.flatMap((n) => [1, n]),
    0,
    ...pre,
    post === undefined ? -1 : Number(post || 0),
    dev === undefined ? Number.MAX_SAFE_INTEGER : Number(dev || 0),
  ];
}

const OPERATORS: Record<string, string> = {
  '==': 'eq',
  '=': 'eq',
  eq: 'eq',
  '<': 'lt',
  lt: 'lt',
  '<=': 'le',
  le: 'le',
  '>': 'gt',
  gt: 'gt',
  '>=': 'ge',
  ge: 'ge',
  '!=': 'ne',
  '<>': 'ne',
  ne: 'ne',
};
const TYPES = ['loose', 'strict', 'semver', 'semantic', 'pep440'];

function compareAs(type: string, a: string, b: string): number {
  if (type === 'strict') return compareParts(strict(a), strict(b));
  if (type === 'semver' || type === 'semantic') return compareSemver(a, b);
  if (type === 'pep440') return compareParts(pep440(a), pep440(b));
  return compareParts(loose(a), loose(b));
}

/** Ansible's version (version_compare) test: version(value, other, operator='eq', strict=None, version_type=None). */
export function versionTest(value: unknown, other: unknown, operator: unknown = 'eq', strictFlag?: unknown, versionType?: unknown): boolean {
  const refuse = (msg: string) => new Error(`AnsibleFilterError: ${msg}`);
  if (strictFlag !== undefined && strictFlag !== null && versionType !== undefined && versionType !== null)
    throw refuse("Cannot specify both 'strict' and 'version_type'");
  if (!value) throw refuse('Input version value cannot be empty');
  if (!other) throw refuse('Version parameter to compare against cannot be empty');
  let type = 'loose';
  if (strictFlag) type = 'strict';
  else if (versionType) {
    if (!TYPES.includes(String(versionType))) throw refuse(`Invalid version type (${versionType}). Must be one of ${TYPES.map((t) => `'${t}'`).join(', ')}`);
    type = String(versionType);
  }
  const op = OPERATORS[String(operator)];
  if (!op)
    throw refuse(
      `Invalid operator type (${operator}). Must be one of ${Object.keys(OPERATORS)
        .map((o) => `'${o}'`)
        .join(', ')}`,
    );
  let c: number;
  try {
    c = compareAs(type, String(value), String(other));
  } catch (err) {
    throw refuse(`Version comparison failed: ${(err as Error).message}`);
  }
  return { eq: c === 0, ne: c !== 0, lt: c < 0, le: c <= 0, gt: c > 0, ge: c >= 0 }[op]!;
}
