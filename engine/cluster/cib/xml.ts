// A small XML element tree: parsed by fast-xml-parser (order preserved), serialised here in one
// canonical form (attributes sorted, two-space indent) so that two trees compare as text.

export interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
}

export function el(name: string, attrs: Record<string, string | number | undefined> = {}, children: El[] = []): El {
  const defined = Object.entries(attrs).filter(([, v]) => v !== undefined && v !== '');
  return { name, attrs: Object.fromEntries(defined.map(([k, v]) => [k, String(v)])), children };
}

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function fromOrdered(node: Ordered): El | undefined {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (!name || name.startsWith('#') || name.startsWith('?')) return undefined;
  const attrs = Object.fromEntries(Object.entries(node[':@'] ?? {}).map(([k, v]) => [k.replace(/^@_/, ''), String(v)]));
  const children = ((node[name] as Ordered[]) ?? []).map(fromOrdered).filter((c): c is El => c !== undefined);
  return { name, attrs, children };
}

/** Parses a document's root element; text content is dropped (the CIB carries none). */
export function parseXml(text: string): El {
  const { XMLParser } = require('fast-xml-parser') as typeof import('fast-xml-parser');
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: true,
  });
  const root = (parser.parse(text) as Ordered[]).map(fromOrdered).find((e) => e !== undefined);
  if (!root) throw new Error('no XML element found');
  return root;
}

const escapeAttr = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function serialize(node: El, indent = ''): string {
  const attrs = Object.keys(node.attrs)
    .sort()
    .map((k) => ` ${k}="${escapeAttr(node.attrs[k])}"`)
    .join('');
  if (!node.children.length) return `${indent}<${node.name}${attrs}/>\n`;
  return `${indent}<${node.name}${attrs}>\n${node.children.map((c) => serialize(c, `${indent}  `)).join('')}${indent}</${node.name}>\n`;
}

export function child(node: El, name: string): El | undefined {
  return node.children.find((c) => c.name === name);
}
