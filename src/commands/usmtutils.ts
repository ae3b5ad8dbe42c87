import { PortableToolCommand } from '../cli/portable.js'
import type { PortableContext } from '../portable/common.js'
import { runUsmtUtils, type UsmtUtilsResult } from '../portable/usmtutils.js'

export default class UsmtUtils extends PortableToolCommand<UsmtUtilsResult> {
  static override description = "Portable UsmtUtils: /rd, /verify, /extract and /ec for usmt-steps stores; returns USMT's return codes"
  static override examples = ['<%= config.bin %> usmtutils /verify:all ./store/USMT/USMT.MIG /decrypt /keyfile:key.txt']
  protected readonly tool = 'usmtutils'

  protected runTool(ctx: PortableContext): Promise<UsmtUtilsResult> {
    return runUsmtUtils(ctx)
  }
}
