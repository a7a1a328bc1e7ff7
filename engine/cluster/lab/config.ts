// The lab's fixed layout: the AWS seed's addressing on a bridge with no uplink.
import { join, resolve } from 'node:path';

export const SUBNET_PREFIX = 20;
export const BRIDGE = 'pbxlab0';
/**
 * The bridge's own MAC, set once (locally administered). A bridge left to choose takes the lowest
 * MAC among its ports and changes it when that port goes: a power cut then left every node's ARP
 * entry for the controller and the BMCs (addresses of the bridge) pointing nowhere, and IPMI
 * fencing waited for the ARP cache to give up (10 s, measured in pacemaker.log).
 */
export const BRIDGE_MAC = '02:70:62:78:00:01';
/** The controller's own address on the lab bridge (root network namespace). */
export const CONTROLLER_IP = '172.31.16.10';

export interface LabNode {
  name: string;
  ip: string;
  /** Network namespace and host-side veth of the node. */
  netns: string;
  veth: string;
}

/** pbx01.. at .133.., extended servers ext01.. at .150.. */
export function labNodes(nodes: number, extra: number): LabNode[] {
  const make = (name: string, ip: string): LabNode => ({ name, ip, netns: `pbxlab-${name}`, veth: `plv-${name}` });
  return [
    ...Array.from({ length: nodes }, (_, i) => make(`pbx${String(i + 1).padStart(2, '0')}`, `172.31.16.${133 + i}`)),
    ...Array.from({ length: extra }, (_, i) => make(`ext${String(i + 1).padStart(2, '0')}`, `172.31.16.${150 + i}`)),
  ];
}

export function labDir(): string {
  return resolve(process.env.PBX_LAB_DIR ?? '.lab');
}

/** Which lab directory holds the machine's one lab (its bridge, namespace and node names are fixed). */
export const LAB_OWNER_FILE = '/run/pbx-lab.owner';

export const paths = {
  state: () => join(labDir(), 'state.json'),
  key: () => join(labDir(), 'id_lab'),
  knownHosts: () => join(labDir(), 'known_hosts'),
  node: (name: string) => join(labDir(), 'nodes', name),
  /** Image behind the loop device that stands in for a volume every node can see. */
  sharedImage: () => join(labDir(), 'shared.img'),
  /** Power requests of the nodes' simulated BMCs, and the daemon serving them. */
  fenceDir: () => join(labDir(), 'fence'),
  fencedPid: () => join(labDir(), 'fenced.pid'),
  fencedLog: () => join(labDir(), 'fenced.log'),
  /** The simulated BMCs: their configuration, state, PIDs and the lab's BMC password. */
  bmcs: () => join(labDir(), 'bmc'),
  /** Container images made for the lab (the stand-in PBX), read-only in every node. */
  images: () => join(labDir(), 'images'),
};

/** Where the nodes see the shared volume. */
export const SHARED_DISK = '/dev/xvdf';
export const SHARED_IMAGE_MB = 512;
