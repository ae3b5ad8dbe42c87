import { callBridge, findBridgeHost, type BridgeEnvironment, type BridgeHost } from '../windows/com-bridge.js'
import type { ProgressSink, ProgressUpdate } from './progress.js'

/**
 * The task-sequence progress dialog (Microsoft.SMS.TSProgressUI.ShowActionProgress). Shown only under the
 * documented conditions (configmgr-mdt.md §3.2): in WinPE, after OS install (_SMSTSReturnToGINA), from
 * media, in stand-alone mode, or when _SMSTSShowProgressUI is true — and never when TSDisableProgressUI is
 * true. Failing soft: the first bridge failure is reported once and the sink goes quiet; progress must
 * never fail a step. Calls are throttled and never queue up: only the newest update is sent.
 */
export function shouldShowTsProgress(get: (name: string) => string | undefined): boolean {
  const is = (n: string, v = 'true'): boolean => (get(n) ?? '').toLowerCase() === v.toLowerCase()
  if (is('TSDisableProgressUI')) return false
  return is('_SMSTSInWinPE') || is('_SMSTSReturnToGINA') || ['CD', 'DVD', 'USB'].includes((get('_SMSTSLaunchMode') ?? '').toUpperCase())
    || is('_SMSTSStandAloneMode') || is('_SMSTSShowProgressUI')
}

export class TsDialogSink implements ProgressSink {
  private busy: Promise<void> | undefined
  private next: ProgressUpdate | undefined
  private lastSentAt = 0
  private failed = false

  constructor(
    private readonly host: BridgeHost,
    private readonly get: (name: string) => string | undefined,
    private readonly onFailure: (message: string) => void,
    private readonly minIntervalMs = 2000,
  ) {}

  static create(get: (name: string) => string | undefined, onFailure: (m: string) => void, be?: BridgeEnvironment): TsDialogSink | null {
    const host = findBridgeHost(be)
    return host ? new TsDialogSink(host, get, onFailure) : null
  }

  update(u: ProgressUpdate): void {
    if (this.failed) return
    this.next = u
    if (!this.busy && Date.now() - this.lastSentAt >= this.minIntervalMs) this.busy = this.drain()
  }

  private async drain(): Promise<void> {
    while (this.next && !this.failed) {
      const u = this.next
      this.next = undefined
      this.lastSentAt = Date.now()
      const g = (n: string): string => this.get(n) ?? ''
      const fields = [g('_SMSTSOrgName'), g('_SMSTSPackageName'), g('_SMSTSCustomProgressDialogMessage'), g('_SMSTSCurrentActionName'),
        String(Number(g('_SMSTSNextInstructionPointer')) || 0), String(Number(g('_SMSTSInstructionTableSize')) || 0),
        `${u.phase}${u.detail ? `: ${u.detail}` : ''}`, String(Math.round(u.percent ?? 0)), '100']
      try {
        await callBridge(this.host, 'progress', fields, 15000)
      } catch (err) {
        this.failed = true
        this.onFailure(`progress dialog unavailable, continuing without it (${(err as Error).message})`)
      }
    }
    this.busy = undefined
  }

  async end(final?: ProgressUpdate): Promise<void> {
    if (final && !this.failed) this.next = final
    if (this.next && !this.busy) this.busy = this.drain()
    await this.busy
  }
}
