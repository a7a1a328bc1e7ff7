// Host key checking against OpenSSH known_hosts files: unknown keys are refused unless the
// operator explicitly opts in to accept new ones; changed keys are always refused.
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { globRegExp } from '../glob';

export type HostKeyVerdict = { ok: true } | { ok: false; reason: string };

/** The name OpenSSH stores: bare address on port 22, `[address]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function keyType(key: Buffer): string {
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('ascii');
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  // OpenSSH patterns know only * and ?; everything else, [ ] of [host]:port included, is literal.
  return globRegExp(pattern).test(name);
}

interface Entry {
  marker?: string;
  patterns: string[];
  type: string;
  key: string;
}

function parseKnownHosts(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
    if (fields.length < 3) continue;
    entries.push({ marker, patterns: fields[0].split(','), type: fields[1], key: fields[2] });
  }
  return entries;
}

function entryMatches(entry: Entry, name: string): boolean {
  const negated = entry.patterns.some((p) => p.startsWith('!') && patternMatches(p.slice(1), name));
  return !negated && entry.patterns.some((p) => !p.startsWith('!') && patternMatches(p, name));
}

export function verifyHostKey(files: string[], name: string, key: Buffer, acceptNew: boolean): HostKeyVerdict {
  const blob = key.toString('base64');
  const type = keyType(key);
  const entries = files.filter((f) => existsSync(f)).flatMap((f) => parseKnownHosts(readFileSync(f, 'utf8')));
  const mine = entries.filter((e) => entryMatches(e, name));
  if (mine.some((e) => e.marker === '@revoked' && e.key === blob)) return { ok: false, reason: `host key for ${name} is marked @revoked` };
  const plain = mine.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.type === type && e.key === blob)) return { ok: true };
  if (plain.some((e) => e.type === type)) {
    return {
      ok: false,
      reason: `HOST KEY CHANGED for ${name}: the server offers ${type} ${fingerprint(key)}, which differs from known_hosts. Refusing to connect (possible man-in-the-middle); remove the old entry only if the change is expected.`,
    };
  }
  if (!acceptNew) {
    return {
      ok: false,
      reason: `unknown host key for ${name} (${type} ${fingerprint(key)}): not in ${files.join(', ')}. Verify the fingerprint and add it, or rerun with --accept-new-host-keys to record new keys.`,
    };
  }
  const target = files[0];
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  appendFileSync(target, `${name} ${type} ${blob}\n`, { mode: 0o600 });
  return { ok: true };
}

/** Host key algorithms in OpenSSH's default order of preference. */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** The algorithms that can present a key of a known_hosts key type (an RSA key signs three ways). */
function algorithmsFor(type: string): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
}

/**
 * The host key algorithms to offer, as OpenSSH orders them: those of the key types known_hosts
 * already holds for this name first, so a host known by its ECDSA key is asked for that key.
 */
export function hostKeyAlgorithms(files: string[], name: string): string[] {
  const entries = files.filter((f) => existsSync(f)).flatMap((f) => parseKnownHosts(readFileSync(f, 'utf8')));
  const known = entries.filter((e) => e.marker === undefined && entryMatches(e, name)).flatMap((e) => algorithmsFor(e.type));
  const preferred = HOST_KEY_ALGORITHMS.filter((a) => known.includes(a));
  return [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];
}
