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

export interface ClusterPlacement {
  /** The instances that exist among the ids asked for. */
  instances: import('@aws-sdk/client-ec2').Instance[];
  /** The VPC of the first instance. */
  vpc?: import('@aws-sdk/client-ec2').Vpc;
  /** Every security group any of the instances is in. */
  groups: import('@aws-sdk/client-ec2').SecurityGroup[];
}

/** Where the cluster's instances are, as the preflight check and aws-prepare both need it. */
export async function readClusterPlacement(settings: Ec2Settings, ids: string[]): Promise<ClusterPlacement> {
  const ec2 = await import('@aws-sdk/client-ec2');
  const client = ec2Client(settings);
  const instances =
    (await client.send(new ec2.DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }] }))).Reservations?.flatMap(
      (r) => r.Instances ?? [],
    ) ?? [];
  if (!instances.length) return { instances, groups: [] };
  const vpc = (await client.send(new ec2.DescribeVpcsCommand({ VpcIds: [instances[0].VpcId!] }))).Vpcs?.[0];
  const groupIds = [...new Set(instances.flatMap((i) => (i.SecurityGroups ?? []).map((g) => g.GroupId!)))];
  const groups = groupIds.length ? ((await client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: groupIds }))).SecurityGroups ?? []) : [];
  return { instances, vpc, groups };
}
