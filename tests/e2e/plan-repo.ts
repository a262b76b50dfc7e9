import { createGitRepo, type GitRepo } from '../helpers/git-repo.js';

/** A Sigma rule file. */
export function sigmaRule(id: string, title: string, image: string, level = 'low'): string {
  return `title: ${title}\nid: ${id}\nstatus: test\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  selection:\n    Image|endswith: '${image}'\n  condition: selection\nlevel: ${level}\n`;
}

/** A Host with labels. */
export function host(name: string, role: string): string {
  return `apiVersion: vigil/v1\nkind: Host\nmetadata:\n  name: ${name}\n  labels:\n    role: ${role}\nspec:\n  hostname: ${name}.example.invalid\n`;
}

/** A HostGroup selecting hosts by role, with packages and a rollout. */
export function hostGroup(name: string, role: string, packages: readonly string[]): string {
  return `apiVersion: vigil/v1\nkind: HostGroup\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    matchLabels:\n      role: ${role}\n  packages:\n${packages.map((p) => `    - ${p}`).join('\n')}\n  rollout: staged\n`;
}

/** A Package selecting rules by path glob. */
export function pkg(name: string, version: string, glob: string, extra = ''): string {
  return `apiVersion: vigil/v1\nkind: Package\nmetadata:\n  name: ${name}\nspec:\n  version: ${version}\n  rules:\n    globs:\n      - ${glob}\n${extra}`;
}

export const WHOAMI = '37616311-889e-4039-b6b8-6db75eae7fff';
export const IPCONFIG = '46b9c27b-aec3-456e-b02a-72b81c63f70f';
export const WMIC = 'a6fe9602-8456-4fa1-ae8e-bed5ae10c807';
/** A credential reference that must never appear in any plan output. */
export const SECRET_REF = 'env:VIGIL_TEST_SUPER_SECRET_VALUE';

/** The repository at its first commit: two groups, two packages, three rules, a credential. */
export async function policyRepo(): Promise<GitRepo> {
  const repo = await createGitRepo('vigil-plan-');
  await repo.commit('initial policy', {
    'policy/hosts/ws-1.yaml': host('ws-1', 'workstation'),
    'policy/hosts/ws-2.yaml': host('ws-2', 'workstation'),
    'policy/hosts/srv-1.yaml': host('srv-1', 'server'),
    'policy/host-groups/workstations.yaml': hostGroup('workstations', 'workstation', ['recon', 'extra']),
    'policy/host-groups/servers.yaml': hostGroup('servers', 'server', ['recon']),
    'policy/packages/recon.yaml': pkg('recon', '1.0.0', 'rules/recon/*.yml'),
    'policy/packages/extra.yaml': pkg('extra', '1.0.0', 'rules/extra/*.yml'),
    'policy/rules/recon/whoami.yml': sigmaRule(WHOAMI, 'Whoami', '\\whoami.exe'),
    'policy/rules/recon/ipconfig.yml': sigmaRule(IPCONFIG, 'Ipconfig', '\\ipconfig.exe'),
    'policy/rules/extra/wmic.yml': sigmaRule(WMIC, 'Wmic', '\\wmic.exe', 'medium'),
    'policy/rollouts/staged.yaml': 'apiVersion: vigil/v1\nkind: Rollout\nmetadata:\n  name: staged\nspec:\n  rings:\n    - name: canary\n      hosts:\n        - ws-1\n    - name: broad\n      percentage: 100\n',
    'policy/credentials/hec.yaml': `apiVersion: vigil/v1\nkind: Credential\nmetadata:\n  name: hec-token\nspec:\n  type: hec-token\n  hostGroups:\n    - servers\n  hecToken:\n    token: ${SECRET_REF}\n`,
  });
  return repo;
}
