// uri: an HTTP request made from the host, its response registered as Ansible's uri registers it
// (status, url, the headers as keys, json for a JSON body, content when asked). A GET, HEAD or
// OPTIONS reads and is made in check mode too; any other method is a change, never sent in a dry run.
import { readFileSync } from 'node:fs';
import { quotePath } from '../connection/quote';
import { type Module, ModuleError, type Outcome, Query } from './types';
import {
  type BodyPart,
  type HttpArgs,
  type HttpRequest,
  type HttpResponse,
  headerFields,
  requestBase,
  parseResponse,
  requestScript,
  responseMessage,
  httpProperties,
} from './util/http';
import { base64Lines, multipartBody, newBoundary } from './util/multipart';
import { sha256, statQuery } from './util/remote';
import { writeStep } from './util/steps';

interface UriArgs extends HttpArgs {
  method?: string;
  body?: unknown;
  body_format?: 'raw' | 'json' | 'form-urlencoded' | 'form-multipart';
  src?: string;
  remote_src?: boolean;
  status_code?: Array<number | string> | number | string;
  return_content?: boolean;
  dest?: string;
  creates?: string;
  removes?: string;
  timeout?: number;
  follow_redirects?: 'all' | 'no' | 'none' | 'safe' | 'urllib2' | 'yes';
  unix_socket?: string;
}

interface UriFound {
  /** creates exists, or removes does not: the request is not made. */
  skip?: string;
  /** The response of a reading method, made by the probe. */
  response?: HttpResponse;
  /** sha256 of dest as it is, when dest was given. */
  destSha?: string;
  /** The controller files the body is made of, as prepare read them. */
  files: ControllerFiles;
}

const READING = ['GET', 'HEAD', 'OPTIONS'];
const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json\b|^text\/json\b/i;

const methodOf = (args: UriArgs) => (args.method ?? 'GET').toUpperCase();
const statusCodes = (args: UriArgs) => [args.status_code ?? 200].flat().map(Number);

/** The controller's files the body is made of (src, multipart file parts), by the path written. */
type ControllerFiles = Record<string, Buffer>;

/** Paths of controller files a multipart body names (a file part without content). */
function multipartFiles(args: UriArgs): string[] {
  if (args.body_format !== 'form-multipart' || args.body === null || typeof args.body !== 'object') return [];
  return Object.values(args.body as Record<string, { filename?: string; content?: string }>)
    .filter((field) => field !== null && typeof field === 'object' && field.filename && !field.content)
    .map((field) => field.filename!);
}

/** A controller file as prepare read it; with remote_src, one the host reads. */
function fileOf(args: UriArgs, files: ControllerFiles, path: string, base64: boolean): BodyPart {
  if (args.remote_src) return { hostFile: path, base64 };
  return base64 ? base64Lines(files[path]) : files[path];
}

/** Ansible's encoding of body (or src) per body_format, and the Content-Type it implies. */
function encodedBody(args: UriArgs, files: ControllerFiles): { body?: BodyPart[]; contentType?: string } {
  if (args.src !== undefined && args.body !== undefined) throw new ModuleError('parameters are mutually exclusive: body|src');
  if (args.src !== undefined) return { body: [fileOf(args, files, args.src, false)] };
  if (args.body === undefined || args.body === null) return {};
  if (args.body_format === 'json')
    return { body: [Buffer.from(typeof args.body === 'string' ? args.body : JSON.stringify(args.body))], contentType: 'application/json' };
  if (args.body_format === 'form-urlencoded') {
    const form =
      typeof args.body === 'string'
        ? args.body
        : new URLSearchParams(Object.entries(args.body as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return { body: [Buffer.from(form)], contentType: 'application/x-www-form-urlencoded' };
  }
  if (args.body_format === 'form-multipart') {
    try {
      const { parts, contentType } = multipartBody(args.body, newBoundary(), (path) => fileOf(args, files, path, true));
      return { body: parts, contentType };
    } catch (err) {
      throw new ModuleError(`failed to parse body as form-multipart: ${(err as Error).message}`);
    }
  }
  return { body: [Buffer.from(typeof args.body === 'string' ? args.body : JSON.stringify(args.body))] };
}

function requestOf(args: UriArgs, files: ControllerFiles): HttpRequest {
  const method = methodOf(args);
  const { body, contentType } = encodedBody(args, files);
  const base = requestBase(args);
  const { headers } = base;
  if (contentType && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = contentType;
  const follow = args.follow_redirects ?? 'safe';
  return {
    ...base,
    method,
    headers,
    body,
    followRedirects: ['all', 'yes', 'urllib2'].includes(follow) || (follow === 'safe' && READING.includes(method)),
    timeoutSec: args.timeout ?? 30,
    unixSocket: args.unix_socket,
  };
}

function requestQuery(args: UriArgs, files: ControllerFiles, live: boolean): Query<HttpResponse> {
  const { script, stdin } = requestScript(requestOf(args, files));
  return new Query(script, (res) => parseResponse(res, args.url), { stdin, what: `${methodOf(args)} ${args.url}`, live });
}

/** What Ansible's uri registers for a response; failed when its status is not one asked for. */
function uriResult(args: UriArgs, res: HttpResponse): Record<string, unknown> {
  const json = JSON_TYPES.test(res.headers['content-type'] ?? '') ? parseJson(res.body) : undefined;
  const codes = statusCodes(args);
  const ok = codes.includes(res.status);
  const message = responseMessage(res);
  return {
    ...headerFields(res),
    status: res.status,
    url: res.url,
    redirected: res.url !== args.url,
    elapsed: res.elapsedSec,
    cookies: res.cookies,
    cookies_string: Object.entries(res.cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join('; '),
    changed: false,
    msg: ok ? message : `Status code was ${res.status} and not [${codes.join(', ')}]: ${message}`,
    ...(json === undefined ? {} : { json }),
    ...(args.return_content ? { content: res.body.toString('utf8') } : {}),
    ...(ok ? {} : { failed: true }),
  };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function planUri(args: UriArgs, found: UriFound): Outcome {
  const { files } = found;
  const method = methodOf(args);
  if (!/^[A-Z]+$/.test(method)) return { changed: false, failed: true, msg: "Parameter 'method' needs to be a single word in uppercase, like GET or POST." };
  if (found.skip) return { changed: false, msg: found.skip, result: { stdout: found.skip } };
  if (found.response) {
    const result = uriResult(args, found.response);
    const written = args.dest !== undefined && !result.failed && found.response.status !== 304;
    if (!written || found.destSha === sha256(found.response.body))
      return { changed: false, failed: result.failed === true, msg: String(result.msg), result: { ...result, ...(args.dest ? { path: args.dest } : {}) } };
    return {
      changed: true,
      msg: String(result.msg),
      result: { ...result, changed: true, path: args.dest },
      steps: [writeStep(args.dest!, found.response.body)],
    };
  }
  // A method that changes something: sent when the task runs, its response read then.
  const { script, stdin } = requestScript(requestOf(args, files));
  return {
    changed: false,
    msg: `${method} ${args.url}`,
    steps: [{ kind: 'run', script, stdin, what: `${method} ${args.url}`, result: (res) => uriResult(args, parseResponse(res, args.url)) }],
  };
}

export const uri: Module<UriArgs, UriFound> = {
  name: 'uri',
  freeForm: 'kv',
  argAliases: { user: 'url_username', password: 'url_password' },
  schema: {
    type: 'object',
    description: 'Makes an HTTP request from the host (curl) and registers its response as Ansible does.',
    properties: {
      url: { type: 'string', description: 'http(s)://host[:port]/path' },
      method: { type: 'string', description: 'GET (default), POST, PUT, DELETE, ...; only GET, HEAD and OPTIONS are made in check mode.' },
      body: { description: 'The request body: text, or data encoded per body_format.' },
      body_format: {
        enum: ['raw', 'json', 'form-urlencoded', 'form-multipart'],
        description: 'raw (default), json, form-urlencoded, form-multipart (a mapping: text fields, and files by filename or content; sets Content-Type).',
      },
      src: { type: 'string', description: "A file sent as the body: the controller's (a role's files/), or the host's with remote_src." },
      remote_src: { type: 'boolean', description: 'src and multipart filenames are on the host, not the controller.' },
      ...httpProperties,
      status_code: { type: ['array', 'integer', 'string'], items: { type: ['integer', 'string'] }, description: 'Statuses that are success (default [200]).' },
      return_content: { type: 'boolean', description: 'Register the body as content (JSON bodies are registered as json anyway).' },
      dest: { type: 'string', description: 'Write the body to this file on the host (changed when it differs).' },
      creates: { type: 'string', description: 'Not made when this path exists on the host.' },
      removes: { type: 'string', description: 'Not made when this path does not exist on the host.' },
      timeout: { type: 'integer', description: 'Seconds for the whole request (default 30).' },
      follow_redirects: { enum: ['all', 'no', 'none', 'safe', 'urllib2', 'yes'], description: 'safe (default): only for GET, HEAD, OPTIONS.' },
      unix_socket: { type: 'string', description: 'Connect through this Unix socket.' },
    },
    required: ['url'],
    additionalProperties: false,
  },
  async prepare(args, ctx) {
    if (args.remote_src) return {};
    const paths = [...(args.src === undefined ? [] : [args.src]), ...multipartFiles(args)];
    return Object.fromEntries(paths.map((path) => [path, readFileSync(ctx.findLocal('files', path))]));
  },
  probe(args, ctx) {
    const guard = args.creates ?? args.removes;
    const reading = READING.includes(methodOf(args));
    const files = (ctx.prepared ?? {}) as ControllerFiles;
    const rest = (): Query<UriFound> | UriFound => {
      if (!reading) return { files };
      const request = requestQuery(args, files, true);
      if (!args.dest) return request.map((response) => ({ response, files }));
      return new Query(
        request.script,
        (res) => {
          const response = parseResponse(res, args.url);
          return statQuery(args.dest!, { checksum: true, follow: true }).map((stat) => ({ response, destSha: stat.sha256, files }));
        },
        request.options,
      );
    };
    const start = rest();
    if (guard === undefined) return start instanceof Query ? start : Promise.resolve(start);
    return new Query(
      `[ -e ${quotePath(guard)} ] && echo yes || echo no`,
      (res) => {
        const exists = res.stdout.trim() === 'yes';
        if (args.creates !== undefined && exists) return { skip: `skipped, since '${args.creates}' exists`, files };
        if (args.creates === undefined && !exists) return { skip: `skipped, since '${args.removes}' does not exist`, files };
        return start;
      },
      { live: true },
    );
  },
  plan: planUri,
};
