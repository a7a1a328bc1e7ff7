# The 30 tasks of playbook.yml for pyinfra (bench/run.ts runs it side by side with the engine and
# ansible-playbook, and checks the three leave byte-identical files).
from io import StringIO

from pyinfra import host, inventory
from pyinfra.facts.files import File
from pyinfra.operations import files, server
from pyinfra.operations.util import any_changed

root = host.data.root
b = f"{root}/b"

files.directory(name="Base directory", path=b, mode="0755")
for d in ["etc", "log", "data", "run", "spool", "cache"]:
    files.directory(name=f"Directory {d}", path=f"{b}/{d}", mode="0750")

for i in range(1, 7):
    files.put(name=f"Static config {i}", src=StringIO(f"setting_{i} = {i}\n"), dest=f"{b}/etc/static{i}.conf", mode="0644")

peers = [h.name for h in inventory.get_group("all")][:5] if "all" in inventory.groups else [h.name for h in inventory][:5]
templates = [
    files.template(
        name=f"Template {i}",
        src="bench/site/templates/node.conf.j2",
        dest=f"{b}/etc/node{i}.conf",
        inventory_hostname=host.name,
        ansible_host=host.data.ssh_hostname,
        groups={"all": peers},
        # Ansible renders templates with trim_blocks on.
        jinja_env_kwargs={"trim_blocks": True},
    )
    for i in range(1, 5)
]

files.put(name="Copy a file", src="bench/site/files/motd", dest=f"{b}/etc/motd")

for key, value in [("PORT", "5060"), ("WORKERS", "4"), ("LOGLEVEL", "info"), ("TLS", "on"), ("RTP_START", "35000"), ("RTP_END", "65000")]:
    files.line(name=f"Env {key}", path=f"{b}/etc/env", line=f"^{key}=", replace=f"{key}={value}")

for i in range(1, 4):
    files.block(
        name=f"Block {i}",
        path=f"{b}/etc/hosts{i}",
        content=f"10.0.0.{i} node{i}\n10.0.1.{i} backup{i}",
        marker="# {mark} ANSIBLE MANAGED BLOCK",
    )

for i in range(1, 4):
    path = f"{b}/data/init{i}"
    if not host.get_fact(File, path=path):
        server.shell(name=f"Initialise {i}", commands=[f"touch {path}"])

server.shell(name="reload service", commands=[f"touch {b}/run/reloaded"], _if=any_changed(*templates))
