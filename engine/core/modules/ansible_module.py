"""Builds Ansible module payloads for the engine, with ansible-core's own code.

A module the engine does not implement runs the way Ansible runs it: ansible-core's plugin loader
finds it (ansible.builtin, a collection, a role's or the playbook's library/ directory, following
redirects), and module_common.modify_module packs it with its module_utils and its arguments into
the self-contained AnsiballZ script that Ansible pipes to the host's Python. The engine sends that
script to the host and reads the module's JSON answer.

A persistent worker: one JSON request per line on stdin, one JSON answer per line on stdout.
  {"op": "build", "name": ..., "args": {...}, "dirs": [...], "check": bool, "diff": bool,
   "interpreter": ..., "remote_tmp": ...}
  -> {"payload": base64, "resolved": fqcn, "path": ..., "action": bool} or {"error": ...}
"""
import base64
import json
import sys


def _loader(dirs):
    from ansible.plugins.loader import action_loader, module_loader, module_utils_loader

    for d in dirs:
        module_loader.add_directory(d)
        module_utils_loader.add_directory(d.rsplit('/', 1)[0] + '/module_utils')
    return module_loader, action_loader


def build(request):
    from ansible import __version__
    from ansible.executor.module_common import modify_module
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar

    module_loader, action_loader = _loader(request.get('dirs', []))
    context = module_loader.find_plugin_with_context(request['name'])
    if not context.resolved:
        return {'error': "no Ansible module '%s' found (looked in ansible-core, the installed collections and library/ directories)" % request['name']}
    fqcn = context.resolved_fqcn
    action = action_loader.find_plugin_with_context(fqcn)
    module_args = dict(request.get('args') or {})
    module_args.update({
        '_ansible_check_mode': bool(request.get('check')),
        '_ansible_no_log': bool(request.get('no_log')),
        '_ansible_debug': False,
        '_ansible_diff': bool(request.get('diff')),
        '_ansible_verbosity': int(request.get('verbosity', 0)),
        '_ansible_version': __version__,
        '_ansible_module_name': fqcn,
        '_ansible_syslog_facility': 'LOG_USER',
        '_ansible_selinux_special_fs': ['fuse', 'nfs', 'vboxsf', 'ramfs', '9p', 'vfat'],
        '_ansible_string_conversion_action': 'warn',
        '_ansible_socket': None,
        '_ansible_shell_executable': '/bin/sh',
        '_ansible_keep_remote_files': False,
        '_ansible_tmpdir': None,
        '_ansible_remote_tmp': request.get('remote_tmp') or '~/.ansible/tmp',
    })
    task_vars = {'ansible_python_interpreter': request.get('interpreter') or '/usr/bin/python3'}
    templar = Templar(loader=DataLoader(), variables=task_vars)
    data, style, _shebang = modify_module(fqcn, context.plugin_resolved_path, module_args, templar, task_vars=task_vars,
                                         module_compression='ZIP_DEFLATED')
    if style not in ('new', 'old', 'non_native_want_json'):
        return {'error': "module '%s' is a %s module, which the engine cannot run" % (fqcn, style)}
    if isinstance(data, str):
        data = data.encode('utf-8')
    return {
        'payload': base64.b64encode(data).decode('ascii'),
        'resolved': fqcn,
        'path': context.plugin_resolved_path,
        # An action plugin of the module's own name does controller work the engine does not do.
        'action': bool(action.resolved),
    }


def main():
    for line in sys.stdin:
        try:
            answer = build(json.loads(line))
        except Exception as err:  # one bad request fails its task, not the worker
            answer = {'error': '%s: %s' % (type(err).__name__, err)}
        sys.stdout.write(json.dumps(answer) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
