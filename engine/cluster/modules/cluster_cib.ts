// cluster_cib: the Pacemaker configuration (cluster properties, defaults, resources, constraints)
// declared in YAML. The probe reads the live CIB and builds the desired one from it (declared
// elements replaced, the rest kept); the difference is the --diff output; `crm_verify` judges the
// new CIB, in check mode too (read-only); the step turns it into a patch with `crm_diff` and
// applies it with one `cibadmin --patch`, so the cluster sees one transition, never a half-built
// configuration.
// A dry run on bare nodes (the cluster would have been started by earlier tasks) compares with
// an empty CIB (`cibadmin --empty`), so the first preview shows the whole configuration, verified.
import { type Module, ModuleError, type ProbeContext, Query } from '../../core/modules/types';
import { type CibDeclaration, configurationOf, desiredCib, managedText, maskedCib } from '../cib/build';
import { parseXml, serialize } from '../cib/xml';

type CibArgs = CibDeclaration;

interface Found {
  liveXml: string;
  /** No cluster runs yet (dry run): liveXml is an empty CIB. */
  fromEmpty: boolean;
  before: string;
  after: string;
  newXml: string;
  undeclared: string[];
  verify?: { ok: boolean; output: string };
}

// When the cluster does not settle in time, what it was doing goes into the error (to stderr).
const SETTLE_DIAGNOSTICS =
  "{ echo '--- cluster at the timeout:'; crm_mon -1 -r 2>&1 | tail -n +2; echo '--- pacemaker log of this node:'; tail -n 40 /var/log/pacemaker/pacemaker.log 2>/dev/null | cut -c1-220; } >&2";
const SPLIT = '--CIB-SPLIT--';

/** The configuration's version counters, as the shell pipeline EPOCHS prints them. */
const EPOCHS = `grep -o ' \\(admin_\\)\\?epoch="[0-9]*"' | sort | tr -d '\\n'`;
function epochs(cibXml: string): string {
  const tag = cibXml.slice(0, cibXml.indexOf('>'));
  return [...tag.matchAll(/ (admin_)?epoch="\d*"/g)]
    .map((m) => m[0])
    .sort()
    .join('');
}

/** Writes live and new CIB to a private temp dir on the node, runs `body` there, cleans up. */
function withCibFiles(body: string): string {
  return [
    'set -e; d=$(mktemp -d); trap \'rm -rf "$d"\' EXIT',
    `awk -v d="$d" '/^${SPLIT}$/ { n = 1; next } { print > (n ? d "/new.xml" : d "/live.xml") }'`,
    body,
  ].join('\n');
}

/** Applies the difference as one patch (crm_diff exits 1 when there are differences), then waits for the cluster to settle. */
function patchScript(liveXml: string, wait: number): string {
  return withCibFiles(
    [
      // Refuse if someone changed the configuration since it was read: the patch was computed against that.
      `[ "$(cibadmin --query --xpath /cib --no-children | ${EPOCHS})" = '${epochs(liveXml)}' ] || { echo 'the cluster configuration changed since it was read; run again' >&2; exit 3; }`,
      'crm_diff --original "$d/live.xml" --new "$d/new.xml" --no-version > "$d/patch.xml" || [ $? -eq 1 ]',
      'cibadmin --patch --xml-file "$d/patch.xml"',
      wait > 0 ? `crm_resource --wait --timeout=${wait}s || { rc=$?; ${SETTLE_DIAGNOSTICS}; exit $rc; }` : 'true',
    ].join('\n'),
  );
}

/** cibadmin's exit code when no CIB manager answers (Pacemaker not running): ENOTCONN. */
const CIB_NOT_CONNECTED = 102;

/**
 * The live CIB; in a dry run whose earlier changes would have started the cluster, an empty one.
 * The desired CIB is built from it; a change is judged by crm_verify (read-only, in check mode too).
 */
function probeCib(args: CibArgs, ctx: ProbeContext): Query<Found> {
  return new Query(
    'cibadmin --query',
    (res) => {
      if (res.rc === 0) return judged(args, res.stdout, false);
      if (res.rc === CIB_NOT_CONNECTED && ctx.predict) return new Query('cibadmin --empty', (empty) => judged(args, empty.stdout, true));
      throw ModuleError.ofCommand('cibadmin --query', res);
    },
    { anyStatus: true },
  );
}

/** The desired CIB from the live one; when they differ, the cluster's own validator judges it. */
function judged(args: CibArgs, liveXml: string, fromEmpty: boolean): Found | Query<Found> {
  const live = parseXml(liveXml);
  const { cib, undeclared } = desiredCib(live, args);
  const before = managedText(configurationOf(live));
  const after = managedText(configurationOf(cib));
  const newXml = serialize(cib);
  const found = { liveXml, fromEmpty, before, after, newXml, undeclared };
  if (before === after) return found;
  return new Query(
    withCibFiles('crm_verify --xml-file "$d/new.xml" -V 2>&1 && echo VERIFY-OK || true'),
    (res) => ({ ...found, verify: { ok: /VERIFY-OK\s*$/.test(res.stdout), output: res.stdout.replace(/VERIFY-OK\s*$/, '').trim() } }),
    { stdin: `${liveXml}\n${SPLIT}\n${newXml}`, what: 'crm_verify of the new configuration' },
  );
}

export const cluster_cib: Module<CibArgs, Found> = {
  name: 'cluster_cib',
  schema: {
    type: 'object',
    description:
      'Pacemaker configuration as declared: properties, defaults, resources (primitives, groups, clones, promotable clones) and constraints, applied as one CIB patch.',
    properties: {
      properties: { type: 'object', description: 'Cluster properties (cib-bootstrap-options), e.g. stonith-enabled, no-quorum-policy.' },
      resource_defaults: { type: 'object', description: 'Resource defaults (meta attributes), e.g. resource-stickiness. Replaces all resource defaults.' },
      op_defaults: { type: 'object', description: 'Operation defaults, e.g. timeout. Replaces all operation defaults.' },
      resources: {
        type: 'array',
        description: 'Top-level resources in order: {id, agent, params, meta, ops} or a group {id, members: [...]}; clone/promotable wraps either.',
        items: {
          type: 'object',
          required: ['id'],
          properties: {
            id: { type: 'string' },
            agent: { type: 'string', pattern: '^(\\{\\{.*|[a-z]+(:[A-Za-z0-9_.-]+){1,2})$' },
            params: { type: 'object' },
            meta: { type: 'object' },
            ops: { type: 'array', items: { type: 'object', required: ['name'] } },
            members: { type: 'array', items: { type: 'object', required: ['id', 'agent'] } },
            clone: { type: ['object', 'boolean'] },
            promotable: { type: ['object', 'boolean'] },
          },
          additionalProperties: false,
        },
      },
      constraints: {
        type: 'array',
        description:
          'Constraints: {colocation: {rsc, with, score, with_role}}, {order: {first, then, first_action, then_action, kind}}, {location: {rsc, node, score}}.',
        items: {
          type: 'object',
          properties: {
            colocation: { type: 'object', required: ['rsc', 'with'] },
            order: { type: 'object', required: ['first', 'then'] },
            location: { type: 'object', required: ['rsc', 'node'] },
          },
          additionalProperties: false,
          minProperties: 1,
          maxProperties: 1,
        },
      },
      remove_undeclared: { type: 'boolean', description: 'Remove resources and constraints that are not declared (default: keep and report them).' },
      absent: {
        type: 'array',
        items: { type: 'string' },
        description: 'Ids of resources or constraints that must not exist: removed where present (cli-* ones excepted).',
      },
      wait: { type: 'integer', description: 'Seconds to wait for the cluster to settle after a change (default 60; 0 = do not wait).' },
    },
    additionalProperties: false,
  },
  probe: probeCib,
  plan(args, found, ctx) {
    const report = found.undeclared.length ? ` (not declared, ${args.remove_undeclared ? 'removed' : 'kept'}: ${found.undeclared.join(', ')})` : '';
    const result = { undeclared: found.undeclared };
    if (found.before === found.after) return { changed: false, msg: `cluster configuration as declared${report}`, result };
    if (!found.verify?.ok) return { changed: false, failed: true, msg: `crm_verify rejects the new configuration: ${found.verify?.output ?? ''}`, result };
    const [before, after] = [maskedCib(found.before), maskedCib(found.after)];
    const hidden = before === after ? ' (only secret parameters changed; their values are not shown)' : '';
    return {
      changed: true,
      msg: `cluster configuration ${ctx.check ? 'would be updated' : 'updated'} (crm_verify accepts it)${report}${hidden}`,
      result,
      diff: [{ before, after, beforeHeader: found.fromEmpty ? 'empty CIB (no cluster runs yet)' : 'live CIB', afterHeader: 'declared CIB' }],
      steps: [
        { kind: 'run', script: patchScript(found.liveXml, args.wait ?? 60), stdin: `${found.liveXml}\n${SPLIT}\n${found.newXml}`, what: 'patching the CIB' },
      ],
    };
  },
};
