// aws_prepare: creates what the HA cluster needs in EC2 and is missing, idempotently: the guide's
// inbound rules on the instances' security group, an Elastic IP and an EBS volume in the
// instances' zone (found again by their Cluster/Name tags, so a second run creates nothing).
// The plan lists what would be created; its steps are one API call per missing thing, returning the new ids.
import type { CallStep, Module } from '../../core/modules/types';
import { ModuleError } from '../../core/modules/types';
import { ec2Client, readClusterPlacement, tagMap } from '../aws/ec2';
import { describeRule, findMissingRules, SEED_RULES } from './aws_cluster_check';

interface PrepareArgs {
  region: string;
  endpoint?: string;
  cluster: string;
  instance_ids: string[];
  volume_size_gb?: number;
  volume_type?: string;
  /** Create this customer-managed IAM policy (policy_document) when it does not exist. */
  iam_policy_name?: string;
  iam_policy_document?: Record<string, unknown>;
}

interface Found {
  securityGroup: string;
  vpcCidr: string;
  zone: string;
  missingRules: typeof SEED_RULES;
  eip?: { allocationId: string; publicIp: string };
  volumeId?: string;
  policyArn?: string;
}

/** IAM is global; the same endpoint override serves it (one emulator answers every service). */
function iamClient(args: PrepareArgs): import('@aws-sdk/client-iam').IAMClient {
  const { IAMClient } = require('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam');
  const endpoint = args.endpoint ?? process.env.AWS_ENDPOINT_URL_IAM;
  return new IAMClient({ region: 'us-east-1', ...(endpoint ? { endpoint } : {}) });
}

async function findPolicy(args: PrepareArgs): Promise<string | undefined> {
  if (!args.iam_policy_name) return undefined;
  const { ListPoliciesCommand } = await import('@aws-sdk/client-iam');
  let marker: string | undefined;
  do {
    const page = await iamClient(args).send(new ListPoliciesCommand({ Scope: 'Local', Marker: marker }));
    const hit = page.Policies?.find((p) => p.PolicyName === args.iam_policy_name);
    if (hit) return hit.Arn;
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return undefined;
}

const tags = (cluster: string, name: string) => [
  { Key: 'Cluster', Value: cluster },
  { Key: 'Name', Value: name },
];

async function probePrepare(args: PrepareArgs): Promise<Found> {
  const ec2 = await import('@aws-sdk/client-ec2');
  const client = ec2Client({ region: args.region, endpoint: args.endpoint });
  const { instances, vpc, groups } = await readClusterPlacement({ region: args.region, endpoint: args.endpoint }, args.instance_ids);
  const missing = args.instance_ids.filter((id) => !instances.some((i) => i.InstanceId === id));
  if (missing.length) throw new ModuleError(`instance ${missing.join(', ')} does not exist in ${args.region}`);
  const first = instances[0];
  const securityGroup = first.SecurityGroups?.[0]?.GroupId ?? '';
  const vpcCidr = vpc?.CidrBlock ?? '';
  const group = groups.find((g) => g.GroupId === securityGroup);
  const byTag = [{ Name: 'tag:Cluster', Values: [args.cluster] }];
  const address = (await client.send(new ec2.DescribeAddressesCommand({ Filters: byTag }))).Addresses?.[0];
  const volume = (await client.send(new ec2.DescribeVolumesCommand({ Filters: byTag }))).Volumes?.find((v) => tagMap(v.Tags).Name === `${args.cluster}-data`);
  return {
    securityGroup,
    vpcCidr,
    zone: first.Placement?.AvailabilityZone ?? '',
    missingRules: findMissingRules(SEED_RULES, group?.IpPermissions ?? [], vpcCidr),
    eip: address ? { allocationId: address.AllocationId!, publicIp: address.PublicIp! } : undefined,
    volumeId: volume?.VolumeId,
    policyArn: await findPolicy(args),
  };
}

export const aws_prepare: Module<PrepareArgs, Found> = {
  name: 'aws_prepare',
  controllerOnly: true,
  schema: {
    type: 'object',
    description:
      "Creates the HA cluster's missing EC2 pieces idempotently: the guide's inbound rules, an Elastic IP, the EBS data volume (found again by their Cluster tag).",
    properties: {
      region: { type: 'string', description: 'AWS region.' },
      endpoint: { type: 'string', description: 'EC2 API endpoint override (an emulator).' },
      cluster: { type: 'string', description: 'Value of the Cluster tag on what is created.' },
      instance_ids: { type: 'array', items: { type: 'string' }, description: 'The cluster instances (their security group and zone are used).' },
      volume_size_gb: { type: 'integer', description: 'Size of a new data volume (default 256).' },
      volume_type: { type: 'string', description: 'Type of a new data volume (default gp3).' },
      iam_policy_name: { type: 'string', description: 'Also create this least-privilege IAM policy when missing.' },
      iam_policy_document: { type: 'object', description: 'The policy document (JSON) for iam_policy_name.' },
    },
    required: ['region', 'cluster', 'instance_ids'],
    additionalProperties: false,
  },
  probe: probePrepare,
  plan(args, found) {
    const wanted = [
      ...found.missingRules.map((r) => `inbound ${describeRule(r, found.vpcCidr)} on ${found.securityGroup}`),
      ...(found.eip ? [] : [`Elastic IP tagged Cluster=${args.cluster}`]),
      ...(found.volumeId ? [] : [`EBS volume ${args.cluster}-data, ${args.volume_size_gb ?? 256} GB ${args.volume_type ?? 'gp3'} in ${found.zone}`]),
      ...(args.iam_policy_name && !found.policyArn ? [`IAM policy ${args.iam_policy_name}`] : []),
    ];
    const existing = {
      eip_address: found.eip?.publicIp,
      eip_allocation_id: found.eip?.allocationId,
      ebs_volume_id: found.volumeId,
      iam_policy_arn: found.policyArn,
    };
    if (!wanted.length) return { changed: false, msg: 'everything the cluster needs exists', result: existing };
    return {
      changed: true,
      msg: `create: ${wanted.join('; ')}`,
      diff: [{ before: '', after: wanted.map((w) => `create ${w}\n`).join(''), beforeHeader: 'EC2', afterHeader: 'EC2' }],
      result: existing,
      steps: prepareSteps(args, found),
    };
  },
};

/** One API call per missing thing, in order; each returns the ids it made. */
function prepareSteps(args: PrepareArgs, found: Found): CallStep[] {
  const ec2 = () => import('@aws-sdk/client-ec2');
  const client = () => ec2Client({ region: args.region, endpoint: args.endpoint });
  const steps: CallStep[] = [];
  if (found.missingRules.length)
    steps.push({
      kind: 'call',
      what: `authorize ${found.missingRules.length} inbound rule(s) on ${found.securityGroup}`,
      fn: async () => {
        const permissions = found.missingRules.map((r) => ({
          IpProtocol: r.protocol,
          FromPort: r.from,
          ToPort: r.to,
          IpRanges: [{ CidrIp: r.source === 'vpc' ? found.vpcCidr : r.source, Description: r.description }],
        }));
        await client().send(new (await ec2()).AuthorizeSecurityGroupIngressCommand({ GroupId: found.securityGroup, IpPermissions: permissions }));
      },
    });
  if (!found.eip)
    steps.push({
      kind: 'call',
      what: 'allocate the Elastic IP',
      fn: async () => {
        const eip = await client().send(
          new (await ec2()).AllocateAddressCommand({
            Domain: 'vpc',
            TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: tags(args.cluster, `${args.cluster}-eip`) }],
          }),
        );
        return { eip_address: eip.PublicIp, eip_allocation_id: eip.AllocationId };
      },
    });
  if (!found.volumeId)
    steps.push({
      kind: 'call',
      what: 'create the EBS data volume',
      fn: async () => {
        const volume = await client().send(
          new (await ec2()).CreateVolumeCommand({
            AvailabilityZone: found.zone,
            Size: args.volume_size_gb ?? 256,
            VolumeType: (args.volume_type ?? 'gp3') as 'gp3',
            TagSpecifications: [{ ResourceType: 'volume', Tags: tags(args.cluster, `${args.cluster}-data`) }],
          }),
        );
        return { ebs_volume_id: volume.VolumeId };
      },
    });
  if (args.iam_policy_name && !found.policyArn)
    steps.push({
      kind: 'call',
      what: `create the IAM policy ${args.iam_policy_name}`,
      fn: async () => {
        const { CreatePolicyCommand } = await import('@aws-sdk/client-iam');
        const created = await iamClient(args).send(
          new CreatePolicyCommand({
            PolicyName: args.iam_policy_name,
            PolicyDocument: JSON.stringify(args.iam_policy_document ?? {}),
            Description: `PBX HA cluster ${args.cluster}: the EC2 calls of its agents, fencing, preflight and prepare`,
          }),
        );
        return { iam_policy_arn: created.Policy?.Arn };
      },
    });
  return steps;
}
