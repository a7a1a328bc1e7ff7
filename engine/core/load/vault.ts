// ansible-vault format 1.1 (AES256): decrypts files and `!vault` values Ansible users already have.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const HEADER = '$ANSIBLE_VAULT;1.1;AES256';

let vaultPassword: string | undefined;

export function setVaultPassword(password: string | undefined): void {
  vaultPassword = password;
}

export function hasVaultPassword(): boolean {
  return vaultPassword !== undefined;
}

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith('$ANSIBLE_VAULT;');
}

function deriveKeys(password: string, salt: Buffer) {
  const material = pbkdf2Sync(password, salt, 10000, 80, 'sha256');
  return { cipherKey: material.subarray(0, 32), hmacKey: material.subarray(32, 64), iv: material.subarray(64, 80) };
}

/** Decrypts a vault envelope; throws a plain Error (callers add file and line). */
export function decryptVault(text: string, password = vaultPassword): string {
  if (password === undefined) throw new Error('encrypted with ansible-vault: pass --vault-password-file');
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const fields = header.split(';');
  if (fields[0] !== '$ANSIBLE_VAULT' || !['1.1', '1.2'].includes(fields[1]) || fields[2] !== 'AES256') {
    throw new Error(`unsupported vault header '${header}' (only 1.1/1.2 AES256)`);
  }
  const inner = Buffer.from(lines.join('').trim(), 'hex').toString('ascii').split('\n');
  const [salt, mac, body] = inner.map((h) => Buffer.from(h, 'hex'));
  const keys = deriveKeys(password, salt);
  const expected = createHmac('sha256', keys.hmacKey).update(body).digest();
  if (expected.length !== mac.length || !timingSafeEqual(expected, mac)) {
    throw new Error('vault password does not decrypt this data (HMAC mismatch)');
  }
  const decipher = createDecipheriv('aes-256-ctr', keys.cipherKey, keys.iv);
  const padded = Buffer.concat([decipher.update(body), decipher.final()]);
  const pad = padded[padded.length - 1];
  return padded.subarray(0, padded.length - pad).toString('utf8');
}

/** Encrypts like `ansible-vault encrypt` does; used by tests and by operators via the CLI. */
export function encryptVault(plain: string, password: string): string {
  const salt = randomBytes(32);
  const keys = deriveKeys(password, salt);
  const data = Buffer.from(plain, 'utf8');
  const pad = 16 - (data.length % 16);
  const cipher = createCipheriv('aes-256-ctr', keys.cipherKey, keys.iv);
  const body = Buffer.concat([cipher.update(Buffer.concat([data, Buffer.alloc(pad, pad)])), cipher.final()]);
  const mac = createHmac('sha256', keys.hmacKey).update(body).digest();
  const inner = Buffer.from([salt, mac, body].map((b) => b.toString('hex')).join('\n'), 'ascii').toString('hex');
  return `${[HEADER, ...(inner.match(/.{1,80}/g) ?? [])].join('\n')}\n`;
}
