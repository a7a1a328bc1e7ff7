// Inventory from the EC2 API (`plugin: aws_ec2`, as Ansible's amazon.aws plugin names it): the
// instances the filters select, named by the first `hostnames` entry they have, with host vars
// from the instance, grouped by Jinja2 conditions over those vars.
import { InputError } from '../../core/errors';
import { ec2Client, tagMap } from './ec2';
import { validateWithSchema } from '../../core/load/validate';
import { Templar } from '../../core/load/template/templar';
import { VarScope } from '../../core/load/template/scope';
import type { YamlSource } from '../../core/load/yaml';

type Vars = Record<string, unknown>;

const SCHEMA = {
  type: 'object',
  required: ['plugin', 'regions'],
  properties: {
    plugin: { enum: ['aws_ec2', 'amazon.aws.aws_ec2'] },
    regions: { type: 'array', items: { type: 'string' }, minItems: 1 },
    endpoint: { type: 'string', description: 'EC2 API endpoint (a local emulator in tests); default: AWS, or AWS_ENDPOINT_URL_EC2.' },
    filters: { type: 'object', description: 'EC2 DescribeInstances filters, e.g. tag:Cluster: pbx-ha.' },
    hostnames: { type: 'array', items: { enum: ['tag:Name', 'instance-id', 'private-ip-address', 'ip-address', 'private-dns-name'] } },
    connect_to: { enum: ['private_ip_address', 'public_ip_address'], description: 'Address ansible_host is set to (default private).' },
    groups: { type: 'object', additionalProperties: { type: 'string' }, description: 'Group name -> Jinja2 condition over the host vars.' },
    vars: { type: 'object', description: 'Variables for every host (the all group).' },
  },
  additionalProperties: false,
};

interface Ec2InventoryConfig {
  plugin: string;
  regions: string[];
  endpoint?: string;
  filters?: Record<string, string | string[]>;
  hostnames?: string[];
  connect_to?: 'private_ip_address' | 'public_ip_address';
  groups?: Record<string, string>;
  vars?: Vars;
}

/** The host vars of one instance (Ansible's names where it has them). */
function instanceVars(i: import('@aws-sdk/client-ec2').Instance, region: string): Vars {
  return {
    instance_id: i.InstanceId,
    instance_type: i.InstanceType,
    state: i.State?.Name,
    private_ip_address: i.PrivateIpAddress,
    public_ip_address: i.PublicIpAddress,
    private_dns_name: i.PrivateDnsName,
    placement: { availability_zone: i.Placement?.AvailabilityZone, region },
    subnet_id: i.SubnetId,
    vpc_id: i.VpcId,
    tags: tagMap(i.Tags),
    security_groups: (i.SecurityGroups ?? []).map((g) => ({ group_id: g.GroupId, group_name: g.GroupName })),
    network_interfaces: (i.NetworkInterfaces ?? []).map((n) => ({
      network_interface_id: n.NetworkInterfaceId,
      private_ip_address: n.PrivateIpAddress,
      device_index: n.Attachment?.DeviceIndex,
    })),
  };
}

function hostnameOf(vars: Vars, preferences: string[]): string | undefined {
  for (const p of preferences) {
    const value =
      p === 'tag:Name'
        ? (vars.tags as Record<string, string>).Name
        : vars[
            {
              'instance-id': 'instance_id',
              'private-ip-address': 'private_ip_address',
              'ip-address': 'public_ip_address',
              'private-dns-name': 'private_dns_name',
            }[p] ?? ''
          ];
    if (value) return String(value);
  }
  return undefined;
}

export async function ec2InventoryData(raw: Vars, src: YamlSource): Promise<Vars> {
  validateWithSchema(SCHEMA, raw, src);
  const config = raw as unknown as Ec2InventoryConfig;
  const { DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
  const filters = Object.entries(config.filters ?? {}).map(([Name, v]) => ({ Name, Values: [v].flat().map(String) }));
  const hosts: Record<string, Vars> = {};
  for (const region of config.regions) {
    const client = ec2Client({ region, endpoint: config.endpoint });
    let token: string | undefined;
    do {
      let page: import('@aws-sdk/client-ec2').DescribeInstancesCommandOutput;
      try {
        page = await client.send(new DescribeInstancesCommand({ Filters: filters.length ? filters : undefined, NextToken: token }));
      } catch (err) {
        throw new InputError(`${src.file}: EC2 DescribeInstances in ${region} failed: ${(err as Error).name}: ${(err as Error).message}`);
      }
      for (const instance of page.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) {
        const vars = instanceVars(instance, region);
        const name = hostnameOf(vars, config.hostnames ?? ['tag:Name', 'private-ip-address', 'instance-id']);
        if (!name) continue;
        if (hosts[name])
          throw new InputError(
            `${src.file}: two instances are both named '${name}' (${hosts[name].instance_id}, ${vars.instance_id}); make the Name tags unique`,
          );
        const address = vars[config.connect_to ?? 'private_ip_address'];
        // Connecting to nothing (an instance without a public address) would fail later, obscurely.
        if (!address)
          throw new InputError(
            `${src.file}: instance ${name} (${vars.instance_id}) has no ${config.connect_to ?? 'private_ip_address'} to connect to (connect_to)`,
          );
        hosts[name] = { ...vars, ansible_host: address };
      }
      token = page.NextToken;
    } while (token);
  }
  const templar = new Templar();
  const children: Record<string, { hosts: Record<string, Vars> }> = {};
  for (const [group, condition] of Object.entries(config.groups ?? {})) {
    children[group] = { hosts: {} };
    for (const [name, vars] of Object.entries(hosts))
      if (templar.evaluate(condition, new VarScope({ ...vars, inventory_hostname: name }, templar), `inventory group '${group}'`))
        children[group].hosts[name] = {};
  }
  return { all: { vars: config.vars ?? {}, hosts, children } };
}
