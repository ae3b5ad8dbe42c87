import { UsmtStepsError } from '../runtime/errors.js'
import { BridgeError, callBridge, chunkPairs, findBridgeHost, type BridgeEnvironment, type BridgeHost } from '../windows/com-bridge.js'
import { VariableMap } from './rules.js'
import { SnapshotTsEnvironment } from './snapshot-env.js'

/**
 * `configmgr` — the running task sequence's Microsoft.SMS.TSEnvironment COM object, read once through
 * the bridge (GetVariables + Value) and written back in one batch at commit.
 */
export class ConfigMgrTsEnvironment extends SnapshotTsEnvironment {
  readonly kind = 'configmgr' as const
  readonly description: string

  private constructor(private readonly host: BridgeHost, vars: VariableMap) {
    super(vars)
    this.description = `configmgr (via ${host.kind})`
  }

  static async open(be?: BridgeEnvironment): Promise<ConfigMgrTsEnvironment> {
    const host = findBridgeHost(be)
    if (!host) {
      throw new UsmtStepsError('USM0011', 'Microsoft.SMS.TSEnvironment exists only on Windows inside a running task sequence; no PowerShell or Windows Script Host is available here')
    }
    let fields: string[]
    try {
      fields = await callBridge(host, 'read')
    } catch (err) {
      if (err instanceof BridgeError) {
        throw new UsmtStepsError('USM0011', `cannot create Microsoft.SMS.TSEnvironment (${err.hresult || 'no HRESULT'}: ${err.message}); is a task sequence running?`, { cause: err })
      }
      throw err
    }
    const pairs: Array<[string, string]> = []
    for (let i = 0; i + 1 < fields.length; i += 2) pairs.push([fields[i], fields[i + 1]])
    return new ConfigMgrTsEnvironment(host, new VariableMap(pairs))
  }

  async commit(): Promise<void> {
    const changes = this.vars.changes()
    if (changes.length === 0) return
    for (const chunk of chunkPairs(changes.map((c) => [c.name, c.value]))) {
      try {
        await callBridge(this.host, 'write', chunk)
      } catch (err) {
        if (err instanceof BridgeError) throw new UsmtStepsError('USM0019', `writing task-sequence variables failed (${err.hresult}: ${err.message})`, { cause: err })
        throw err
      }
    }
    this.vars.markCommitted()
  }
}
