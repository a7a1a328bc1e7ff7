// At most `forks` hosts at a time, each host's work in order of the list.
export async function runLimited(hosts: string[], forks: number, run: (host: string) => Promise<unknown>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(forks, hosts.length)) }, async () => {
    while (next < hosts.length) await run(hosts[next++]);
  });
  await Promise.all(workers);
}
