// YAML loading that remembers where every value came from, so errors can name file:line:col.
import { readFileSync } from 'node:fs';
import {
  type CollectionTag,
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node,
  type ScalarTag,
  YAMLMap,
  YAMLSeq,
} from 'yaml';
import { InputError, type SourcePos } from '../errors';
import { rememberSecret, rememberSecretsIn } from './secrets';
import { decryptVault, hasVaultPassword, isVaultText } from './vault';

export interface YamlSource {
  file: string;
  doc: Document;
  lines: LineCounter;
}

/** Where each loaded object or array came from: its source and its path inside the document. */
const origins = new WeakMap<object, { src: YamlSource; path: (string | number)[] }>();

/**
 * Booleans as PyYAML (and so Ansible) reads them: yes/no/true/false/on/off in three casings.
 * The yaml package's YAML 1.1 schema also takes y/n, which would turn `loop_var: n` into false.
 */
const ansibleBool: ScalarTag = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  identify: (value) => typeof value === 'boolean',
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (text) => /^(?:yes|true|on)$/i.test(text),
  stringify: ({ value }) => (value ? 'true' : 'false'),
};

/** What a `!vault` value is without a vault password: a template that refuses when rendered (templar's __vault_locked). */
const LOCKED_VAULT_VALUE = '{{ __vault_locked() }}';

/**
 * Values tagged `!vault` are decrypted when read. Without a password, as Ansible's, the file still
 * loads: the value fails the task that renders it (a secret no task uses needs no password).
 */
const vaultTag: ScalarTag = {
  tag: '!vault',
  resolve: (text, onError) => {
    if (!hasVaultPassword()) return LOCKED_VAULT_VALUE;
    try {
      const plain = decryptVault(text);
      rememberSecret(plain);
      return plain;
    } catch (err) {
      onError(`!vault value: ${(err as Error).message}`);
      return '';
    }
  },
};

/**
 * `!unsafe '{{ x }}'`: text never templated, as Ansible's. Kept as a Jinja2 raw block, which
 * renders to the text itself wherever it is rendered (an endraw inside is split out of it).
 */
function unsafeText(text: string): string {
  return /[{][{%#]/.test(text)
    ? `{% raw %}${text.replace(/\{%-?\s*endraw\s*-?%\}/g, (end) => `{% endraw %}{{ ${JSON.stringify(end)} }}{% raw %}`)}{% endraw %}`
    : text;
}

const unsafeTag: ScalarTag = { tag: '!unsafe', resolve: unsafeText };

/** Every string in a collection, at any depth, made unsafe text. */
function unsafeStrings(node: unknown): void {
  if (isScalar(node) && typeof node.value === 'string') node.value = unsafeText(node.value);
  else if (isSeq(node)) for (const item of node.items) unsafeStrings(item);
  else if (isMap(node)) for (const pair of node.items) unsafeStrings(pair.value);
}

/** `!unsafe [ ... ]` and `!unsafe {...}`: as Ansible's, every string inside is unsafe. */
const unsafeCollections: CollectionTag[] = (['seq', 'map'] as const).map((collection) => ({
  tag: '!unsafe',
  collection,
  nodeClass: collection === 'seq' ? YAMLSeq : YAMLMap,
  resolve: (coll) => {
    unsafeStrings(coll);
    return coll;
  },
}));

function readText(file: string, pos?: SourcePos): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${code}`, pos);
  }
}

/** Parses YAML text as YAML 1.1, as Ansible does (yes/no are booleans, 0644 is octal); syntax errors become InputErrors with position, never stack traces. */
export function parseYaml(text: string, file: string): { data: unknown; src: YamlSource } {
  const encrypted = isVaultText(text);
  if (encrypted) {
    try {
      text = decryptVault(text);
    } catch (err) {
      throw new InputError((err as Error).message, { file, line: 1, col: 1 });
    }
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    lineCounter: lines,
    customTags: (tags) => [ansibleBool, ...tags.filter((t) => typeof t === 'string' || t.tag !== ansibleBool.tag), vaultTag, unsafeTag, ...unsafeCollections],
    prettyErrors: false,
    uniqueKeys: true,
  });
  const src: YamlSource = { file, doc, lines };
  const problem = doc.errors[0];
  if (problem) {
    const { line, col } = lines.linePos(problem.pos[0]);
    throw new InputError(problem.message.split('\n')[0], { file, line, col });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // yaml refuses alias expansion past maxAliasCount (a "billion laughs" file), with a ReferenceError.
    throw new InputError(`cannot expand the YAML aliases: ${(err as Error).message}`, { file, line: 1, col: 1 });
  }
  if (encrypted) rememberSecretsIn(data);
  recordOrigins(data, src, []);
  return { data, src };
}

export function loadYamlFile(file: string, pos?: SourcePos): { data: unknown; src: YamlSource } {
  return parseYaml(readText(file, pos), file);
}

function recordOrigins(value: unknown, src: YamlSource, path: (string | number)[]): void {
  if (value === null || typeof value !== 'object' || origins.has(value)) return;
  origins.set(value, { src, path });
  for (const [key, child] of Object.entries(value)) {
    recordOrigins(child, src, [...path, Array.isArray(value) ? Number(key) : key]);
  }
}

function nodeAt(src: YamlSource, path: (string | number)[], wantKey: boolean): Node | undefined {
  if (!wantKey || path.length === 0) return src.doc.getIn(path, true) as Node | undefined;
  const parent = src.doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(last));
    return (pair?.key as Node | undefined) ?? parent;
  }
  return isSeq(parent) ? (parent.items[Number(last)] as Node) : undefined;
}

/** Position of a path inside a loaded document (the key itself when wantKey). */
export function positionIn(src: YamlSource, path: (string | number)[], wantKey = false): SourcePos {
  let node: Node | undefined;
  for (let cut = path.length; cut >= 0 && !node?.range; cut--) node = nodeAt(src, path.slice(0, cut), wantKey && cut === path.length);
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = src.lines.linePos(offset);
  return { file: src.file, line, col };
}

/** Position of a loaded object, or of one of its keys. Undefined for values built in code. */
export function positionOf(value: object, key?: string | number): SourcePos | undefined {
  const origin = origins.get(value);
  if (!origin) return undefined;
  return key === undefined ? positionIn(origin.src, origin.path) : positionIn(origin.src, [...origin.path, key], true);
}
