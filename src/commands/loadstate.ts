import { PortableToolCommand } from '../cli/portable.js'
import type { PortableContext } from '../portable/common.js'
import { runLoadState, type LoadStateResult } from '../portable/loadstate.js'

export default class LoadState extends PortableToolCommand<LoadStateResult> {
  static override description = "Portable LoadState: restore a usmt-steps store onto mapped volumes with USMT's syntax and restore semantics; returns USMT's return codes"
  static override examples = ['<%= config.bin %> loadstate --volume C=./target/C ./store /i:MigDocs.xml /lac /lae /l:load.log']
  protected readonly tool = 'loadstate'

  protected runTool(ctx: PortableContext): Promise<LoadStateResult> {
    return runLoadState(ctx)
  }
}
