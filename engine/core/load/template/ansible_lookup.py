"""Runs one of Ansible's own lookup plugins for the engine, with ansible-core's own code.

A lookup the engine does not implement (config, csvfile, a collection's) runs as Ansible runs it:
the plugin loader finds it (ansible.builtin, following redirects, or an installed collection) and
its run() gets the terms, the task's variables and the keyword options.

One JSON request on stdin: {"name", "terms", "options", "variables", "basedir"}; one JSON answer on
stdout: {"value": [...]}, or {"error": message, "type": the exception's class} when the plugin refused.
"""
import json
import sys


def collection_finder():
    from ansible import constants as C
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    _AnsibleCollectionFinder(paths=C.COLLECTIONS_PATHS)._install()


def python_class(e):
    module = type(e).__module__
    return type(e).__name__ if module == 'builtins' else '%s.%s' % (module, type(e).__name__)


def run(request):
    from ansible.errors import AnsibleError
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import lookup_loader
    from ansible.template import Templar

    collection_finder()
    loader = DataLoader()
    loader.set_basedir(request['basedir'])
    variables = request['variables']
    templar = Templar(loader=loader, variables=variables)
    plugin = lookup_loader.get(request['name'], loader=loader, templar=templar)
    if plugin is None:
        return {'error': "lookup plugin (%s) not found" % request['name'], 'type': 'AnsibleError'}
    try:
        return {'value': plugin.run(request['terms'], variables=variables, **request['options'])}
    except AnsibleError as e:
        return {'error': e.message, 'type': python_class(e)}
    except Exception as e:
        return {'error': str(e), 'type': python_class(e)}


if __name__ == '__main__':
    json.dump(run(json.load(sys.stdin)), sys.stdout, default=str)
