// The EC2 API client, configured the way the AWS tools are: credentials from the SDK's default
// chain (environment, shared profile, instance metadata), never read, written or printed here;
// an endpoint override (setting or AWS_ENDPOINT_URL_EC2) so tests can use a local emulator.
import type { EC2Client } from '@aws-sdk/client-ec2';

export interface Ec2Settings {
  region: string;
  endpoint?: string;
}

const clients = new Map<string, EC2Client>();

export function ec2Client(settings: Ec2Settings): EC2Client {
  const endpoint = settings.endpoint ?? process.env.AWS_ENDPOINT_URL_EC2 ?? process.env.AWS_ENDPOINT_URL;
  const key = `${settings.region} ${endpoint ?? ''}`;
  let client = clients.get(key);
  if (!client) {
    const { EC2Client: Client } = require('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2');
    client = new Client({ region: settings.region, ...(endpoint ? { endpoint } : {}), maxAttempts: 3 });
    clients.set(key, client);
  }
  return client;
}

/** Tags as a plain object. */
export function tagMap(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}
