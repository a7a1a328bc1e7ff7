// The kit's modules: the cluster configuration, the PBX's own API, SIP checks and AWS.
import type { Module } from '../../core/modules/types';
import { aws_cluster_check } from './aws_cluster_check';
import { aws_prepare } from './aws_prepare';
import { cluster_cib } from './cluster_cib';
import { pbx_server } from './pbx_server';
import { sip_probe } from './sip_probe';

export const clusterModules: Module[] = [cluster_cib, pbx_server, sip_probe, aws_cluster_check, aws_prepare];
