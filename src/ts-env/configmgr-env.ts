import { UsmtStepsError } from '../runtime/errors.js'
import { BridgeError, callBridge, chunkPairs, findBridgeHost, type BridgeEnvironment, type BridgeHost } from '../windows/com-bridge.js'
import { registerEncodedSecrets, obfuscateDecode, obfuscateEncode, obfuscatedIn } from './mdt-obfuscation.js'
import { VariableMap } from './rules.js'
import { SnapshotTsEnvironment } from './snapshot-env.js'

/**
 * `configmgr` — the running task sequence's Microsoft.SMS.TSEnvironment COM object, read once through
 * the bridge (GetVariables + Value) and written back in one batch at commit. Under MDT (MDT's Gather sets
 * `DeploymentMethod`) the credential variables ZTIUtility obfuscates are held Base64-encoded in this environment
 * too: they are decoded on read and encoded on write exactly as ZTIUtility does (src/ts-env/mdt-obfuscation.ts).
 */
export class ConfigMgrTsEnvironment extends SnapshotTsEnvironment {
  readonly kind = 'configmgr' as const
  readonly description: string

  private readonly encoded: (name: string) => boolean

  private constructor(private readonly host: BridgeHost, vars: VariableMap) {
    super(vars)
    this.description = `configmgr (via ${host.kind})`
    this.encoded = obfuscatedIn(vars.get('DeploymentMethod'))
    registerEncodedSecrets(Object.entries(vars.list()).filter(([n]) => this.encoded(n)))
  }

  override get(name: string): string | undefined {
    const stored = super.get(name)
    return stored !== undefined && this.encoded(name) ? obfuscateDecode(name, stored) : stored
  }

  override list(): Record<string, string> {
    return Object.fromEntries(Object.entries(super.list()).map(([n, v]) => [n, this.encoded(n) ? obfuscateDecode(n, v) : v]))
  }

  override set(name: string, value: string): void {
    super.set(name, this.encoded(name) ? obfuscateEncode(name, value) : value)
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
