// stat: report facts about a path (read-only, never changes anything).
import type { Module } from './types';
import { type RemoteStat, statQuery } from './util/remote';

interface StatArgs {
  path: string;
  follow?: boolean;
  get_checksum?: boolean;
}

export const stat: Module<StatArgs, RemoteStat> = {
  name: 'stat',
  freeForm: 'kv',
  schema: {
    type: 'object',
    description:
      'Returns facts about a remote path in `stat` (exists, isdir, isreg, islnk, isblk, ischr, mode, pw_name, gr_name, size, mtime, checksum as sha256).',
    properties: {
      path: { type: 'string', description: 'Remote path.' },
      follow: { type: 'boolean', description: 'Follow symlinks.' },
      get_checksum: { type: 'boolean', description: 'Compute the sha256 of a regular file (default true).' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  probe: (args) => statQuery(args.path, { checksum: args.get_checksum !== false, follow: args.follow }),
  plan(args, found) {
    const stat = found.exists
      ? {
          exists: true,
          path: args.path,
          isdir: found.type === 'directory',
          isreg: found.type === 'file',
          islnk: found.type === 'link',
          isblk: found.type === 'block',
          ischr: found.type === 'char',
          lnk_target: found.linkTarget,
          mode: found.mode,
          pw_name: found.owner,
          gr_name: found.group,
          size: found.size,
          mtime: found.mtime,
          checksum: found.sha256,
        }
      : { exists: false, path: args.path };
    return { changed: false, msg: found.exists ? `${found.type}` : 'absent', result: { stat } };
  },
};
