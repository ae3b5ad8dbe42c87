import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as nodePath from 'node:path'
import { estimateMigration } from '../engine/index.js'
import { readUsersFile } from '../engine/users.js'
import type { VolumeMap } from '../windows/volume-map.js'

/**
 * `plan`'s size estimate from the rule engine: what capture would write, measured on the mapped volumes
 * (`--volume C=DIR`). With `--rules` (or USMTStepsRules, the variable capture reads) the engine evaluates those
 * files; without rules it measures every file of every migrated profile — an upper bound for the user data,
 * said so in the decision record.
 */
export interface EstimateInput {
  volumes: VolumeMap
  /** Migration XML files; empty = whole profiles. */
  ruleFiles: readonly string[]
  /** --users FILE (JSON list of {account, profile, sid?, lastUse?}); default: profiles found under C:\Users. */
  usersFile?: string
  computer?: string
  maxXmlBytes?: number
}

export interface PlanEstimate {
  bytes: number
  files: number
  users: number
  /** How the number was reached (decision record). */
  source: string
  warnings: number
}

/** A rule that takes every file below each migrated user's profile folder. */
export const WHOLE_PROFILES_XML = `<?xml version="1.0" encoding="UTF-8"?>
<migration urlid="http://www.microsoft.com/migration/1.0/migxmlext/usmt-steps-plan-estimate">
  <component type="Documents" context="User">
    <displayName>Whole user profiles (usmt-steps plan estimate without --rules)</displayName>
    <role role="Data">
      <rules>
        <include>
          <objectSet>
            <pattern type="File">%CSIDL_PROFILE%\\* [*]</pattern>
          </objectSet>
        </include>
      </rules>
    </role>
  </component>
</migration>
`

export async function estimateStore(input: EstimateInput): Promise<PlanEstimate> {
  let tmp: string | undefined
  let ruleFiles = [...input.ruleFiles]
  if (ruleFiles.length === 0) {
    tmp = mkdtempSync(nodePath.join(os.tmpdir(), 'usmt-steps-plan-'))
    const file = nodePath.join(tmp, 'whole-profiles.xml')
    writeFileSync(file, WHOLE_PROFILES_XML)
    ruleFiles = [file]
  }
  try {
    const r = await estimateMigration({
      ruleFiles, volumes: input.volumes, computer: input.computer, maxXmlBytes: input.maxXmlBytes,
      users: input.usersFile ? readUsersFile(input.usersFile) : undefined,
    })
    const migrated = r.users.filter((u) => u.migrated).length
    const what = input.ruleFiles.length
      ? `rules ${input.ruleFiles.map((f) => nodePath.basename(f)).join(', ')}`
      : 'every file of the migrated profiles (no --rules: an upper bound for the user data)'
    return {
      bytes: r.totals.bytes, files: r.totals.files, users: migrated, warnings: r.warnings.length,
      source: `engine: ${r.totals.files} files of ${migrated} user(s) on ${input.volumes.volumes.map((v) => v.letter).join(' ')}, ${what}`,
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  }
}
