import { startHosts } from './test/helpers/sshd';
import { execSync, spawn } from 'child_process';
(async () => {
  const set = await startHosts(1);
  const h = set.hosts[0];
  const ssh = `ssh -i ${set.keyFile} -o UserKnownHostsFile=${set.knownHosts} -o ControlPath=/tmp/cm-%C -p 2222 enginetest@${h.address}`;
  const m = spawn('sh', ['-c', `${ssh} -M -N`]); await new Promise(r => setTimeout(r, 1000));
  let t = Date.now(); for (let i = 0; i < 10; i++) execSync(`${ssh} true`); console.log('openssh mux 10 runs', Date.now() - t);
  m.kill();
  await set.stop();
})();
