// Secret values of the run (vault plaintext, site variables the schema marks writeOnly): every
// text the run shows passes through maskSecrets, so a secret rendered into a template or a
// command never reaches a diff, a message or a result.

const secrets = new Set<string>();

/** Shorter values would mask ordinary words and numbers; they cannot be hidden this way. */
const MIN_LENGTH = 4;

export const MASK = '********';

export function rememberSecret(value: unknown): void {
  if (typeof value === 'string' && value.length >= MIN_LENGTH && !value.includes('{{')) secrets.add(value);
}

/** Remembers every string inside a value (a decrypted vault file's variables). */
export function rememberSecretsIn(value: unknown): void {
  if (typeof value === 'string') rememberSecret(value);
  else if (Array.isArray(value)) value.forEach(rememberSecretsIn);
  else if (value && typeof value === 'object') Object.values(value).forEach(rememberSecretsIn);
}

export function maskSecrets<T>(value: T): T {
  if (!secrets.size) return value;
  if (typeof value === 'string') {
    let text: string = value;
    for (const secret of secrets) if (text.includes(secret)) text = text.split(secret).join(MASK);
    return text as T;
  }
  if (Array.isArray(value)) return value.map(maskSecrets) as T;
  if (value && typeof value === 'object' && (value as object).constructor === Object) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)])) as T;
  }
  return value;
}
