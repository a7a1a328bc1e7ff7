// aws_cluster_check: the AWS prerequisites of the HA cluster (PortSIP's AWS guide), checked through
// the EC2 API before anything is installed, so a bad setup is refused with every reason at once
// instead of failing halfway: instances, placement, subnet, VIP, Elastic IP, EBS volume and the
// security group's inbound rules. Read-only; runs on the controller.
import type { Module } from '../../core/modules/types';
import { ec2Client, readClusterPlacement } from '../aws/ec2';

interface Rule {
  protocol: 'tcp' | 'udp' | '-1';
  from: number;
  to: number;
  /** A CIDR, or "vpc" for the VPC's own range. */
  source: string;
  description?: string;
}

interface CheckArgs {
  region: string;
  endpoint?: string;
  instance_ids: string[];
  vip: string;
  subnet_prefix?: number;
  eip_allocation_id?: string;
  volume_id?: string;
  inbound_rules?: Rule[];
}

/** The inbound rules of the seed's security group table. */
export const SEED_RULES: Rule[] = [
  { protocol: 'udp', from: 5060, to: 5060, source: '0.0.0.0/0', description: 'SIP/UDP' },
  { protocol: 'tcp', from: 5061, to: 5061, source: '0.0.0.0/0', description: 'SIP/TLS' },
  { protocol: 'tcp', from: 5063, to: 5063, source: '0.0.0.0/0', description: 'SIP/WSS' },
  { protocol: 'udp', from: 35000, to: 65000, source: '0.0.0.0/0', description: 'RTP' },
  { protocol: 'tcp', from: 8882, to: 8900, source: '0.0.0.0/0', description: 'PBX web and API' },
  { protocol: 'tcp', from: 10443, to: 10443, source: '0.0.0.0/0', description: 'SBC WebRTC' },
  { protocol: 'tcp', from: 80, to: 80, source: '0.0.0.0/0', description: 'HTTP' },
  { protocol: 'tcp', from: 443, to: 443, source: '0.0.0.0/0', description: 'HTTPS' },
  { protocol: 'tcp', from: 22, to: 22, source: '0.0.0.0/0', description: 'SSH' },
  { protocol: 'tcp', from: 0, to: 65535, source: 'vpc', description: 'all TCP within the VPC' },
  { protocol: 'udp', from: 0, to: 65535, source: 'vpc', description: 'all UDP within the VPC' },
];

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToInt(base) / size) * size;
  return ipToInt(ip) >= start && ipToInt(ip) < start + size;
}

/** Is every address of `inner` inside `outer`? */
function cidrCovers(outer: string, inner: string): boolean {
  const [innerBase, innerBits = '32'] = inner.split('/');
  return Number(outer.split('/')[1]) <= Number(innerBits) && cidrContains(outer, innerBase);
}

type Permission = import('@aws-sdk/client-ec2').IpPermission;

/** Does one of the permissions let this rule's traffic in? */
function covered(rule: Rule, permissions: Permission[], vpcCidr: string): boolean {
  const source = rule.source === 'vpc' ? vpcCidr : rule.source;
  return permissions.some((p) => {
    const protocolOk = p.IpProtocol === '-1' || p.IpProtocol === rule.protocol;
    const portsOk = p.IpProtocol === '-1' || ((p.FromPort ?? 0) <= rule.from && (p.ToPort ?? 65535) >= rule.to);
    const sourceOk = (p.IpRanges ?? []).some((r) => r.CidrIp !== undefined && cidrCovers(r.CidrIp, source));
    return protocolOk && portsOk && sourceOk;
  });
}

/** The rules no permission lets in. */
export function findMissingRules(rules: Rule[], permissions: Permission[], vpcCidr: string): Rule[] {
  return rules.filter((r) => !covered(r, permissions, vpcCidr));
}

/** A rule as people read it: "udp/35000-65000 from 0.0.0.0/0 (RTP)"; `vpcSource` stands for the VPC's range. */
export function describeRule(rule: Rule, vpcSource: string): string {
  const ports = rule.from === rule.to ? `${rule.from}` : `${rule.from}-${rule.to}`;
  return `${rule.protocol === '-1' ? 'all' : rule.protocol}/${ports} from ${rule.source === 'vpc' ? vpcSource : rule.source} (${rule.description})`;
}

/** Every problem found, each a sentence naming what and why. */
export async function findProblems(args: CheckArgs): Promise<string[]> {
  const ec2 = await import('@aws-sdk/client-ec2');
  const client = ec2Client({ region: args.region, endpoint: args.endpoint });
  const problems: string[] = [];
  const ids = args.instance_ids;
  if (ids.length !== 3) problems.push(`${ids.length} instance ids given; the cluster needs three (quorum)`);

  const { instances: found, vpc, groups } = await readClusterPlacement({ region: args.region, endpoint: args.endpoint }, ids);
  for (const id of ids) if (!found.some((i) => i.InstanceId === id)) problems.push(`instance ${id} does not exist in ${args.region}`);
  for (const i of found) if (i.State?.Name !== 'running') problems.push(`instance ${i.InstanceId} is ${i.State?.Name}, not running`);
  const distinct = (what: string, pick: (i: (typeof found)[number]) => string | undefined) => {
    const values = new Set(found.map(pick));
    if (values.size > 1)
      problems.push(`the instances are in different ${what}s (${found.map((i) => `${i.InstanceId}: ${pick(i)}`).join(', ')}); all three must share one`);
  };
  distinct('VPC', (i) => i.VpcId);
  distinct('subnet', (i) => i.SubnetId);
  distinct('availability zone', (i) => i.Placement?.AvailabilityZone);
  if (!found.length) return problems;

  const subnet = (await client.send(new ec2.DescribeSubnetsCommand({ SubnetIds: [found[0].SubnetId!] }))).Subnets?.[0];
  const cidr = subnet?.CidrBlock ?? '';
  const prefix = args.subnet_prefix ?? 20;
  if (!cidr.endsWith(`/${prefix}`)) problems.push(`subnet ${subnet?.SubnetId} is ${cidr}; the HA installation needs a /${prefix} subnet`);
  if (cidr && !cidrContains(cidr, args.vip)) problems.push(`the VIP ${args.vip} is not inside subnet ${subnet?.SubnetId} (${cidr})`);

  // Every interface of the subnet, filtered here: an address may be any of an interface's IPs.
  const interfaces =
    (await client.send(new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [found[0].SubnetId!] }] }))).NetworkInterfaces ?? [];
  const holders = interfaces.filter((eni) => (eni.PrivateIpAddresses ?? []).some((a) => a.PrivateIpAddress === args.vip));
  for (const eni of holders)
    if (!ids.includes(eni.Attachment?.InstanceId ?? ''))
      problems.push(
        `the VIP ${args.vip} is already used by ${eni.NetworkInterfaceId}${eni.Attachment?.InstanceId ? ` of instance ${eni.Attachment.InstanceId}` : ''}, outside the cluster`,
      );

  if (args.eip_allocation_id) {
    const addresses = await client.send(new ec2.DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: [args.eip_allocation_id] }] }));
    const eip = addresses.Addresses?.[0];
    if (!eip) problems.push(`Elastic IP allocation ${args.eip_allocation_id} does not exist`);
    else if (eip.InstanceId && !ids.includes(eip.InstanceId))
      problems.push(`Elastic IP ${eip.PublicIp} is associated with ${eip.InstanceId}, outside the cluster`);
  }

  if (args.volume_id) {
    const volume = (await client.send(new ec2.DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [args.volume_id] }] }))).Volumes?.[0];
    if (!volume) problems.push(`EBS volume ${args.volume_id} does not exist`);
    else {
      const zone = found[0].Placement?.AvailabilityZone;
      if (volume.AvailabilityZone !== zone)
        problems.push(`EBS volume ${args.volume_id} is in ${volume.AvailabilityZone}, the instances in ${zone}; a volume attaches only within its zone`);
      for (const a of volume.Attachments ?? [])
        if (a.InstanceId && !ids.includes(a.InstanceId)) problems.push(`EBS volume ${args.volume_id} is attached to ${a.InstanceId}, outside the cluster`);
    }
  }

  for (const instance of found) {
    const mine = groups.filter((g) => instance.SecurityGroups?.some((s) => s.GroupId === g.GroupId));
    const permissions = mine.flatMap((g) => g.IpPermissions ?? []);
    const missing = findMissingRules(args.inbound_rules ?? SEED_RULES, permissions, vpc?.CidrBlock ?? cidr);
    if (missing.length)
      problems.push(
        `instance ${instance.InstanceId}: security groups ${mine.map((g) => g.GroupId).join(', ') || '(none)'} lack inbound ${missing.map((r) => describeRule(r, `the VPC (${vpc?.CidrBlock})`)).join('; ')}`,
      );
  }
  return problems;
}

export const aws_cluster_check: Module<CheckArgs, string[]> = {
  name: 'aws_cluster_check',
  controllerOnly: true,
  schema: {
    type: 'object',
    description: 'Checks the AWS prerequisites of the HA cluster through the EC2 API (read-only) and fails with every problem found.',
    properties: {
      region: { type: 'string', description: 'AWS region of the instances.' },
      endpoint: { type: 'string', description: 'EC2 API endpoint override (an emulator); default AWS_ENDPOINT_URL_EC2 or AWS.' },
      instance_ids: { type: 'array', items: { type: 'string' }, description: 'The three cluster instances.' },
      vip: { type: 'string', description: 'Private virtual IP.' },
      subnet_prefix: { type: 'integer', description: 'Required subnet prefix length (default 20).' },
      eip_allocation_id: { type: 'string', description: 'Elastic IP allocation id.' },
      volume_id: { type: 'string', description: 'EBS volume id of the PBX data.' },
      inbound_rules: { type: 'array', description: "Inbound rules to require (default: the seed's table)." },
    },
    required: ['region', 'instance_ids', 'vip'],
    additionalProperties: false,
  },
  probe: (args) => findProblems(args),
  plan(_args, problems) {
    if (problems.length) return { changed: false, failed: true, msg: `AWS prerequisites not met:\n- ${problems.join('\n- ')}`, result: { problems } };
    return { changed: false, msg: 'AWS prerequisites met', result: { problems } };
  },
};
