// Power a lab node off and on the way a real machine goes: off takes its network namespace (and any
// VIP on it) with it; on gives it a fresh one. Used by `lab kill/start` and by the fence daemon.
import { type LabNode, paths, SHARED_IMAGE_MB } from './config';
import { plugNode, type Run, sharedVolumeUp, unplugNode } from './host';
import { boot, mountRoot, nspawnPid, powerCut, release } from './node';

export async function powerOff(run: Run, node: LabNode): Promise<void> {
  await powerCut(node);
  await release(run, node);
  await unplugNode(run, node);
}

/** Boots the node if it is off; returns without waiting for it to come up. */
export async function powerOn(run: Run, node: LabNode): Promise<void> {
  if (nspawnPid(node)) return;
  const devnum = await sharedVolumeUp(run, paths.sharedImage(), SHARED_IMAGE_MB);
  await plugNode(run, node);
  await mountRoot(run, node);
  boot(node, devnum);
}
