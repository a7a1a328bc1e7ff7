// HTTP requests made from the host, as Ansible's uri and get_url make them there, by curl: the
// request (URL, headers, credentials) goes to curl as a config on stdin and the body as a file,
// so nothing of it reaches an argv on the host; the response comes back whole (status, the last
// response's headers, the body) for a pure parser.
import { quotePath } from '../../connection/quote';
import type { ExecResult } from '../../connection/types';
import { taggedValue } from './remote';

/** The request arguments uri and get_url share, as Ansible's url_argument_spec. */
export const httpProperties = {
  headers: { type: 'object', additionalProperties: { type: ['string', 'number'] }, description: 'Request headers.' },
  url_username: { type: 'string', description: 'HTTP authentication user.' },
  url_password: { type: 'string', description: 'HTTP authentication password (to curl on stdin, never in an argv).' },
  force_basic_auth: { type: 'boolean', description: 'Send basic credentials at once, not after a 401.' },
  validate_certs: { type: 'boolean', description: 'Check the server certificate (default true).' },
  ca_path: { type: 'string', description: 'CA certificate file on the host.' },
  decompress: { type: 'boolean', description: 'Decompress a compressed response (default true).' },
};

/** Those arguments, as the schema above takes them. */
export interface HttpArgs {
  url: string;
  headers?: Record<string, string | number>;
  url_username?: string;
  url_password?: string;
  force_basic_auth?: boolean;
  validate_certs?: boolean;
  ca_path?: string;
  decompress?: boolean;
}

/** The part of a request those arguments give (headers as text), for uri and get_url to complete. */
export function requestBase(
  args: HttpArgs,
): Pick<HttpRequest, 'url' | 'user' | 'password' | 'basicAtOnce' | 'validateCerts' | 'caPath' | 'decompress'> & { headers: Record<string, string> } {
  return {
    url: args.url,
    headers: Object.fromEntries(Object.entries(args.headers ?? {}).map(([k, v]) => [k, String(v)])),
    user: args.url_username,
    password: args.url_password,
    basicAtOnce: args.force_basic_auth,
    validateCerts: args.validate_certs,
    caPath: args.ca_path,
    decompress: args.decompress,
  };
}

/**
 * A piece of a request body: bytes from the controller, or a file on the host read there (whole,
 * or as base64 lines for a multipart file part).
 */
export type BodyPart = Buffer | { hostFile: string; base64?: boolean };

export interface HttpRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  /** The body, its parts in order; none: no body sent. */
  body?: BodyPart[];
  user?: string;
  password?: string;
  /** Send the credentials at once, not only when the server asks (force_basic_auth). */
  basicAtOnce?: boolean;
  followRedirects: boolean;
  timeoutSec: number;
  validateCerts?: boolean;
  caPath?: string;
  unixSocket?: string;
  decompress?: boolean;
  /** Only when the file is older than this (If-Modified-Since). */
  ifModifiedSince?: Date;
}

export interface HttpResponse {
  /** -1 when no response came (refused, timed out, bad certificate). */
  status: number;
  /** Why no response came, in curl's words. */
  error?: string;
  reason: string;
  url: string;
  redirects: number;
  /** The last response's headers, lowercased names (repeated ones joined with ', '). */
  headers: Record<string, string>;
  /** Its Set-Cookie values, name and value. */
  cookies: Record<string, string>;
  body: Buffer;
  elapsedSec: number;
}

/** A curl config string: double quotes with \\ and \" escaped (curl's own config syntax). */
const configString = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;

function curlConfig(req: HttpRequest): string {
  // curl's HEAD is `head`: `request = HEAD` would wait for a body the server never sends.
  const method = req.method === 'HEAD' ? 'head' : `request = ${configString(req.method)}`;
  const lines = [`url = ${configString(req.url)}`, method, `max-time = ${req.timeoutSec}`];
  for (const [name, value] of Object.entries(req.headers ?? {})) lines.push(`header = ${configString(`${name}: ${value}`)}`);
  if (req.user !== undefined) lines.push(`user = ${configString(`${req.user}:${req.password ?? ''}`)}`, req.basicAtOnce ? 'basic' : 'anyauth');
  if (req.followRedirects) lines.push('location', 'max-redirs = 50');
  if (req.validateCerts === false) lines.push('insecure');
  if (req.caPath) lines.push(`cacert = ${configString(req.caPath)}`);
  if (req.unixSocket) lines.push(`unix-socket = ${configString(req.unixSocket)}`);
  if (req.decompress !== false) lines.push('compressed');
  if (req.ifModifiedSince) lines.push(`header = ${configString(`If-Modified-Since: ${req.ifModifiedSince.toUTCString()}`)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The host's script and its stdin: the config, then the body. `keep` moves the body to a file of
 * the caller's (a download) and leaves it out of the output.
 */
export function requestScript(req: HttpRequest, keep?: { bodyTo: string }): { script: string; stdin: Buffer } {
  const config = Buffer.from(curlConfig(req));
  const parts = req.body ?? [];
  const data = req.body === undefined ? '' : ' --data-binary "@$d/body"';
  const script = [
    'command -v curl >/dev/null 2>&1 || { echo "curl is not installed on the host: the engine makes HTTP requests from the host with it" >&2; exit 127; }',
    'd=$(mktemp -d) || exit 1',
    `trap 'rm -rf "$d"' EXIT`,
    `head -c ${config.length} > "$d/config"`,
    ': > "$d/body"',
    ...parts.map(bodyPartLine),
    'start=$(date +%s)',
    `curl -K "$d/config"${data} -sS -o "$d/out" -D "$d/head" -w '%{http_code} %{num_redirects} %{url_effective}' > "$d/meta" 2> "$d/err"`,
    'rc=$?',
    'printf \'curl %s %s\\n\' "$rc" "$(( $(date +%s) - start ))"',
    'printf \'meta \'; cat "$d/meta"; echo',
    'printf \'err \'; base64 -w0 "$d/err"; echo',
    'printf \'head \'; base64 -w0 "$d/head" 2>/dev/null; echo',
    keep ? `[ "$rc" = 0 ] && mv -f "$d/out" ${keep.bodyTo}; echo body` : 'printf \'body \'; base64 -w0 "$d/out" 2>/dev/null; echo',
  ].join('\n');
  const bytes = parts.filter((part): part is Buffer => Buffer.isBuffer(part));
  return { script, stdin: Buffer.concat([config, ...bytes]) };
}

/** The script line that appends one part to the body: the next bytes of stdin, or a host file. */
function bodyPartLine(part: BodyPart): string {
  if (Buffer.isBuffer(part)) return `head -c ${part.length} >> "$d/body"`;
  const path = quotePath(part.hostFile);
  const read = part.base64 ? `base64 -w 76 ${path} | sed 's/$/\\r/'` : `cat ${path}`;
  const missing = `printf "Could not find or access '%s' on the host\\n" ${path} >&2; exit 1`;
  return `{ [ -f ${path} ] && [ -r ${path} ] || { ${missing}; }; ${read} >> "$d/body"; }`;
}

/** The last response's status line and headers from curl's -D dump (one block per redirect). */
function lastResponse(dump: string): { status: number; reason: string; headers: Record<string, string>; cookies: Record<string, string> } {
  const blocks = dump.split(/\r?\n\r?\n/).filter((b) => /^HTTP\//.test(b.trim()));
  const last = blocks.at(-1)?.trim().split(/\r?\n/) ?? [];
  const [, code = '-1', ...reason] = (last[0] ?? '').split(' ');
  const headers: Record<string, string> = {};
  const cookies: Record<string, string> = {};
  for (const line of last.slice(1)) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const name = line.slice(0, at).trim().toLowerCase();
    const value = line.slice(at + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    const cookie = name === 'set-cookie' ? /^([^=;\s]+)=([^;]*)/.exec(value) : null;
    if (cookie) cookies[cookie[1]] = cookie[2];
  }
  return { status: Number(code), reason: reason.join(' '), headers, cookies };
}

/** Pure: what the request script printed. */
export function parseResponse(res: ExecResult, requested: string): HttpResponse {
  if (res.rc !== 0)
    return {
      status: -1,
      error: res.stderr.trim() || `exit ${res.rc}`,
      reason: '',
      url: requested,
      redirects: 0,
      headers: {},
      cookies: {},
      body: Buffer.alloc(0),
      elapsedSec: 0,
    };
  const field = (tag: string) => taggedValue(res.stdout, tag) ?? '';
  const [curlRc, elapsed] = field('curl').split(' ').map(Number);
  const [code, redirects, ...url] = field('meta').split(' ');
  const fromB64 = (tag: string) => Buffer.from(field(tag), 'base64');
  const answered = lastResponse(fromB64('head').toString('latin1'));
  const status = curlRc === 0 || Number(code) > 0 ? Number(code) || answered.status : -1;
  return {
    status: status > 0 ? status : -1,
    error:
      curlRc === 0
        ? undefined
        : fromB64('err')
            .toString('utf8')
            .trim()
            .replace(/^curl: \(\d+\) /, ''),
    reason: answered.reason,
    url: url.join(' ') || requested,
    redirects: Number(redirects) || 0,
    headers: answered.headers,
    cookies: answered.cookies,
    body: fromB64('body'),
    elapsedSec: elapsed || 0,
  };
}

/** Ansible's msg for a response: `OK (N bytes)`, `HTTP Error 404: Not Found`, `Request failed: ...`. */
export function responseMessage(res: HttpResponse): string {
  if (res.status < 0) return `Request failed: ${res.error ?? 'no response'}`;
  if (res.status >= 400) return `HTTP Error ${res.status}: ${res.reason}`;
  return `OK (${res.headers['content-length'] ?? 'unknown'} bytes)`;
}

/** The response headers as Ansible's result keys: lowercased, `-` as `_`. */
export function headerFields(res: HttpResponse): Record<string, string> {
  return Object.fromEntries(Object.entries(res.headers).map(([name, value]) => [name.replace(/-/g, '_'), value]));
}
