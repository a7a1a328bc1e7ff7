// ebs_volume_size: the EBS data volume is at least `size` GiB (PortSIP's extend.sh disk-only, the
// AWS half). A smaller volume is grown with ModifyVolume, and the step waits until EC2 says the
// new size is there (state optimizing or completed: the attached NVMe device is bigger from then
// on, so the filesystem can grow online right after). EBS volumes never shrink: a smaller size is
// refused. --check --diff shows the size before and after; a second run changes nothing.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Module, ModuleError, type Outcome } from '../../core/modules/types';
import { ec2Client } from '../aws/ec2';

interface SizeArgs {
  region: string;
  endpoint?: string;
  volume_id: string;
  size: number;
  /** Seconds to wait for the modification to reach the device (default 300). */
  wait?: number;
}

interface Found {
  size: number;
  /** The newest modification of the volume, if any. */
  modification?: { state: string; target?: number };
}

/** States in which the volume's new size is usable (AWS: "you can extend the file system when the volume is optimizing"). */
const SIZE_AVAILABLE = ['optimizing', 'completed'];

async function probeVolume(args: SizeArgs): Promise<Found> {
  const ec2 = await import('@aws-sdk/client-ec2');
  const client = ec2Client(args);
  const volume = (await client.send(new ec2.DescribeVolumesCommand({ VolumeIds: [args.volume_id] }))).Volumes?.[0];
  if (!volume) throw new ModuleError(`EBS volume ${args.volume_id} does not exist in ${args.region}`);
  const modifications = (await client.send(new ec2.DescribeVolumesModificationsCommand({ VolumeIds: [args.volume_id] }))).VolumesModifications ?? [];
  const newest = modifications.sort((a, b) => (a.StartTime?.getTime() ?? 0) - (b.StartTime?.getTime() ?? 0)).at(-1);
  return {
    size: volume.Size ?? 0,
    modification: newest ? { state: newest.ModificationState ?? 'unknown', target: newest.TargetSize } : undefined,
  };
}

/** Modifies the volume, then waits until its new size is usable. */
async function grow(args: SizeArgs): Promise<Record<string, unknown>> {
  const ec2 = await import('@aws-sdk/client-ec2');
  const client = ec2Client(args);
  await client.send(new ec2.ModifyVolumeCommand({ VolumeId: args.volume_id, Size: args.size }));
  const deadline = Date.now() + (args.wait ?? 300) * 1000;
  for (;;) {
    const { modification } = await probeVolume(args);
    if (modification?.state === 'failed') throw new ModuleError(`EC2 failed to modify ${args.volume_id} to ${args.size} GiB`);
    if (modification && SIZE_AVAILABLE.includes(modification.state)) return { modification_state: modification.state };
    if (Date.now() > deadline)
      throw new ModuleError(
        `${args.volume_id}: the modification to ${args.size} GiB is still ${modification?.state ?? 'not listed'} after ${args.wait ?? 300} s`,
      );
    await sleep(2000);
  }
}

function planVolumeSize(args: SizeArgs, found: Found): Outcome {
  const line = (size: number) => `${args.volume_id}: ${size} GiB\n`;
  const result = { size: found.size };
  const pending = found.modification && !SIZE_AVAILABLE.includes(found.modification.state) && found.modification.state !== 'failed';
  if (pending)
    return {
      changed: false,
      failed: true,
      msg: `${args.volume_id} is being modified already (${found.modification!.state}, to ${found.modification!.target} GiB): run again when it is done`,
      result,
    };
  if (found.size === args.size) return { changed: false, msg: `${args.volume_id} is ${found.size} GiB`, result };
  if (found.size > args.size)
    return { changed: false, failed: true, msg: `EBS volumes do not shrink: ${args.volume_id} is ${found.size} GiB, size asks for ${args.size}`, result };
  return {
    changed: true,
    msg: `${args.volume_id}: ${found.size} -> ${args.size} GiB`,
    diff: [{ before: line(found.size), after: line(args.size), beforeHeader: args.volume_id, afterHeader: args.volume_id }],
    result: { size: args.size, size_before: found.size },
    steps: [{ kind: 'call', what: `ModifyVolume ${args.volume_id} to ${args.size} GiB`, fn: () => grow(args) }],
  };
}

export const ebs_volume_size: Module<SizeArgs, Found> = {
  name: 'ebs_volume_size',
  controllerOnly: true,
  schema: {
    type: 'object',
    description:
      'Grows an EBS volume to size GiB with ModifyVolume and waits until the new size reaches the device (optimizing); never shrinks. Runs on the controller.',
    properties: {
      region: { type: 'string', description: 'AWS region.' },
      endpoint: { type: 'string', description: 'EC2 API endpoint override (an emulator).' },
      volume_id: { type: 'string', description: 'The EBS volume.' },
      size: { type: 'integer', minimum: 1, maximum: 65536, description: 'Wanted size in GiB (at least the current size).' },
      wait: { type: 'integer', minimum: 1, description: 'Seconds to wait for the new size (default 300).' },
    },
    required: ['region', 'volume_id', 'size'],
    additionalProperties: false,
  },
  probe: probeVolume,
  plan: planVolumeSize,
};
