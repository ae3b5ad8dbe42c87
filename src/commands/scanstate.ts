import { PortableToolCommand } from '../cli/portable.js'
import type { PortableContext } from '../portable/common.js'
import { runScanState, type ScanStateResult } from '../portable/scanstate.js'

export default class ScanState extends PortableToolCommand<ScanStateResult> {
  static override description = "Portable ScanState: capture user state with USMT's command-line syntax into a usmt-steps store (hard-link, mirror or compressed/encrypted); returns USMT's return codes"
  static override examples = ['<%= config.bin %> scanstate --volume C=./samples/machine/C --users samples/machine/users.json ./store /i:MigDocs.xml /o /c /l:scan.log /progress:scan.progress']
  protected readonly tool = 'scanstate'

  protected runTool(ctx: PortableContext): Promise<ScanStateResult> {
    return runScanState(ctx)
  }
}
