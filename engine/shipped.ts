// The engine as shipped: the core with the PBX cluster kit registered on top. Imported by the
// entry point, and by tests and benchmarks that call the engine in-process.
import { clusterKit } from './cluster';
import { register } from './core/extension';

register(clusterKit);
