// A local EC2 API: moto's server on 127.0.0.1 and a free port, started and stopped (by its PID)
// by the test that needs it. The AWS SDK gets dummy credentials from the environment, so it never
// looks for real ones (nor asks an instance metadata service).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const MOTO = join(resolve(__dirname, '../..'), '.venv-moto/bin/moto_server');

/** moto takes any credentials; the secret key is distinctive so a test can tell it was never printed. */
export const AWS_TEST_SECRET = 'moto-secret-key-never-printed-7f3a';
export const AWS_TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAMOTOTEST00000000',
  AWS_SECRET_ACCESS_KEY: AWS_TEST_SECRET,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_DEFAULT_REGION: 'us-east-1',
};

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  Object.assign(process.env, AWS_TEST_ENV);
  const port = await freePort();
  const child: ChildProcess = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`moto_server did not start on ${endpoint}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

type Ec2 = typeof import('@aws-sdk/client-ec2');
type Client = import('@aws-sdk/client-ec2').EC2Client;

/** The seed's security group table as EC2 permissions: protocol, ports, source. */
export const SEED_PERMISSIONS: [string, number, number, string][] = [
  ['udp', 5060, 5060, '0.0.0.0/0'],
  ['tcp', 5061, 5061, '0.0.0.0/0'],
  ['tcp', 5063, 5063, '0.0.0.0/0'],
  ['udp', 35000, 65000, '0.0.0.0/0'],
  ['tcp', 8882, 8900, '0.0.0.0/0'],
  ['tcp', 10443, 10443, '0.0.0.0/0'],
  ['tcp', 80, 80, '0.0.0.0/0'],
  ['tcp', 443, 443, '0.0.0.0/0'],
  ['tcp', 22, 22, '0.0.0.0/0'],
  ['tcp', 0, 65535, '172.31.0.0/16'],
  ['udp', 0, 65535, '172.31.0.0/16'],
];
export const permission = ([IpProtocol, FromPort, ToPort, CidrIp]: (typeof SEED_PERMISSIONS)[number]) => ({
  IpProtocol,
  FromPort,
  ToPort,
  IpRanges: [{ CidrIp }],
});

export interface PbxVpc {
  image: string;
  vpc: string;
  subnet: string;
  sg: string;
  ids: string[];
  allocation: string;
  eip: string;
  volume: string;
}

/** The AWS guide's setup in the emulator: VPC, /20 subnet, security group, three instances (.133-.135), EIP, volume. */
export async function seedPbxVpc(ec2: Ec2, client: Client): Promise<PbxVpc> {
  const image = (await client.send(new ec2.DescribeImagesCommand({}))).Images![0].ImageId!;
  const vpc = (await client.send(new ec2.CreateVpcCommand({ CidrBlock: '172.31.0.0/16' }))).Vpc!.VpcId!;
  const subnet = (await client.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: '172.31.16.0/20', AvailabilityZone: 'us-east-1a' }))).Subnet!
    .SubnetId!;
  const sg = (await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: 'pbx-ha', Description: 'PBX HA', VpcId: vpc }))).GroupId!;
  await client.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: SEED_PERMISSIONS.map(permission) }));
  const ids: string[] = [];
  for (const n of [1, 2, 3]) ids.push(await runInstance(ec2, client, { image, subnet, sg }, `pbx0${n}`, `172.31.16.${132 + n}`));
  const address = await client.send(new ec2.AllocateAddressCommand({ Domain: 'vpc' }));
  const volume = (await client.send(new ec2.CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 100 }))).VolumeId!;
  return { image, vpc, subnet, sg, ids, allocation: address.AllocationId!, eip: address.PublicIp!, volume };
}

export async function runInstance(
  ec2: Ec2,
  client: Client,
  at: { image: string; subnet: string; sg: string },
  name: string,
  ip?: string,
  cluster = 'pbx-ha',
): Promise<string> {
  const res = await client.send(
    new ec2.RunInstancesCommand({
      ImageId: at.image,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.large',
      SubnetId: at.subnet,
      PrivateIpAddress: ip,
      SecurityGroupIds: [at.sg],
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: 'Name', Value: name },
            { Key: 'Cluster', Value: cluster },
            { Key: 'Role', Value: cluster === 'pbx-ha' ? 'pbx' : 'other' },
          ],
        },
      ],
    }),
  );
  return res.Instances![0].InstanceId!;
}
