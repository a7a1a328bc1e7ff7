// The kit's modules: the cluster configuration and membership, the PBX's own API, SIP checks, AWS.
import type { Module } from '../../core/modules/types';
import { aws_cluster_check } from './aws_cluster_check';
import { aws_prepare } from './aws_prepare';
import { cluster_cib } from './cluster_cib';
import { cluster_nodes } from './cluster_nodes';
import { ebs_volume_size } from './ebs_volume_size';
import { pbx_server } from './pbx_server';
import { sip_calls } from './sip_calls';
import { sip_probe } from './sip_probe';

export const clusterModules: Module[] = [cluster_cib, cluster_nodes, pbx_server, sip_probe, sip_calls, aws_cluster_check, aws_prepare, ebs_volume_size];
