// uri's form-multipart body as Ansible builds it (module_utils/urls.py prepare_multipart, with
// Python's email package): the fields in sorted order, a string a text/plain part, a mapping a
// file part, its `content` as given or the named file's bytes in base64 (76 columns, CRLF) with a
// Content-Transfer-Encoding header. The file is read by the caller: on the controller, or on the
// host with remote_src (a BodyPart the request script reads there).
import { randomInt } from 'node:crypto';
import { basename } from 'node:path';
import { lookup } from 'mime-types';
import type { BodyPart } from './http';

const CRLF = '\r\n';

/** Python's type name of a value Ansible would refuse as a field. */
const pythonType = (value: unknown) =>
  value === null
    ? 'NoneType'
    : Array.isArray(value)
      ? 'list'
      : typeof value === 'number'
        ? Number.isInteger(value)
          ? 'int'
          : 'float'
        : typeof value === 'boolean'
          ? 'bool'
          : 'dict';

/** A Content-Disposition parameter, quoted as email.utils.quote does. */
const param = (name: string, value: string) => `; ${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The file's bytes as Python's email base64 body: 76-column lines, each ended by CRLF. */
export function base64Lines(data: Buffer): Buffer {
  const lines = data.toString('base64').match(/.{1,76}/g) ?? [];
  return Buffer.from(lines.map((line) => line + CRLF).join(''));
}

/** A boundary in the email package's form. */
export const newBoundary = () => `===============${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e9)).padStart(9, '0')}==`;

/**
 * The body's parts and its Content-Type. `file(path)` gives a named file's base64 lines (a Buffer
 * or a part read on the host). Refuses what prepare_multipart refuses, in its words.
 */
export function multipartBody(fields: unknown, boundary: string, file: (path: string) => BodyPart): { contentType: string; parts: BodyPart[] } {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields))
    throw new TypeError(`Mapping is required, cannot be type ${typeof fields === 'string' ? 'str' : pythonType(fields)}`);
  const parts: BodyPart[] = [];
  for (const name of Object.keys(fields).sort()) {
    const value = (fields as Record<string, unknown>)[name];
    let type = 'text/plain';
    let filename: string | undefined;
    let content: string | undefined;
    if (typeof value === 'string') content = value;
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const field = value as { filename?: string; content?: string; mime_type?: string };
      ({ filename, content } = field);
      if (!filename && !content) throw new Error('at least one of filename or content must be provided');
      type = field.mime_type || lookup(filename ?? '') || 'application/octet-stream';
    } else throw new TypeError(`value must be a string, or mapping, cannot be type ${pythonType(value)}`);
    const fromFile = !content && filename !== undefined;
    const headers = [
      ...(fromFile ? ['Content-Transfer-Encoding: base64'] : []),
      `Content-Type: ${type}`,
      `Content-Disposition: form-data${param('name', name)}${filename ? param('filename', basename(filename)) : ''}`,
    ];
    parts.push(Buffer.from(`--${boundary}${CRLF}${headers.join(CRLF)}${CRLF}${CRLF}`));
    parts.push(fromFile ? file(filename!) : Buffer.from(content ?? ''));
    parts.push(Buffer.from(CRLF));
  }
  parts.push(Buffer.from(`--${boundary}--${CRLF}`));
  return { contentType: `multipart/form-data; boundary="${boundary}"`, parts };
}
