/** The ACL writers by output format (`suggest --as`), and what they share. */
import type { Acl } from '../model.js';
import { emitDescribeNetworkAcls } from './aws.js';
import { emitCloudFormation } from './cloudformation.js';
import { emitTerraform } from './terraform.js';
import { emitNativeYaml } from './yaml.js';

/** Output formats an ACL can be written in. */
export type EmitFormat = 'aws' | 'yaml' | 'terraform' | 'cloudformation';

export interface EmitOptions {
  /** VPC id written into the formats that need one (aws: VpcId; terraform and cloudformation: instead of a variable). */
  vpcId?: string;
}

/** Write ACLs in one format; throws AclNotExpressibleError for rules AWS network ACLs cannot express. */
export function emitAcls(format: EmitFormat, acls: readonly Acl[], opts: EmitOptions = {}): string {
  switch (format) {
    case 'aws':
      return emitDescribeNetworkAcls(acls, opts);
    case 'yaml':
      return emitNativeYaml(acls);
    case 'terraform':
      return emitTerraform(acls, opts);
    case 'cloudformation':
      return emitCloudFormation(acls, opts);
  }
}

export { aclEntries, ruleEntry, type AclEntries, type NetworkAclEntry } from './entries.js';
export { entryCommand, entryCommands, type EntryChange } from './commands.js';
export { emitDescribeNetworkAcls, emitNativeYaml, emitTerraform, emitCloudFormation };
