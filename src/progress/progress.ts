import { redactor } from '../runtime/redact.js'

/**
 * One progress interface with several sinks: the task-sequence progress dialog (TSProgressUI), a
 * terminal bar on an interactive stderr, or plain periodic lines (task-sequence output, CI logs).
 */
export interface ProgressUpdate {
  /** Short phase name: Estimating, Gathering, Capturing, Applying, Uploading … */
  phase: string
  /** 0–100, or undefined while unknown. */
  percent?: number
  /** Free text, e.g. "CONTOSO\\ann: 412 of 1,024 MB". */
  detail?: string
}

export interface ProgressSink {
  update(u: ProgressUpdate): void
  end(final?: ProgressUpdate): void | Promise<void>
}

export class ProgressReporter {
  private last: ProgressUpdate | undefined
  private heartbeat: NodeJS.Timeout | undefined

  constructor(private readonly sinks: ProgressSink[], private readonly onUpdate?: (u: ProgressUpdate) => void) {}

  update(u: ProgressUpdate): void {
    this.onUpdate?.(u)
    const clean: ProgressUpdate = {
      phase: u.phase,
      percent: u.percent === undefined ? undefined : Math.max(0, Math.min(100, Math.round(u.percent * 10) / 10)),
      detail: u.detail === undefined ? undefined : redactor.redact(u.detail),
    }
    this.last = clean
    for (const s of this.sinks) s.update(clean)
  }

  /** Re-send the last update every `ms` so long phases never look hung. */
  startHeartbeat(ms = 30000): void {
    this.stopHeartbeat()
    this.heartbeat = setInterval(() => {
      if (this.last) for (const s of this.sinks) s.update({ ...this.last, detail: `${this.last.detail ?? this.last.phase} (still working)` })
    }, ms)
    this.heartbeat.unref()
  }

  stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = undefined
  }

  async end(final?: ProgressUpdate): Promise<void> {
    this.stopHeartbeat()
    for (const s of this.sinks) await s.end(final)
  }
}

/** Plain lines, at most one per `minIntervalMs` unless the phase changes or 10 points pass. */
export class LineSink implements ProgressSink {
  private lastAt = 0
  private lastPhase = ''
  private lastPercent = -100

  constructor(private readonly write: (line: string) => void, private readonly minIntervalMs = 5000, private readonly now = () => Date.now()) {}

  update(u: ProgressUpdate): void {
    const t = this.now()
    const pct = u.percent ?? -1
    const due = u.phase !== this.lastPhase || pct - this.lastPercent >= 10 || t - this.lastAt >= this.minIntervalMs
    if (!due) return
    this.lastAt = t
    this.lastPhase = u.phase
    this.lastPercent = pct
    this.write(formatProgressLine(u))
  }

  end(final?: ProgressUpdate): void {
    if (final) this.write(formatProgressLine(final))
  }
}

export function formatProgressLine(u: ProgressUpdate): string {
  const pct = u.percent === undefined ? '' : ` ${u.percent.toFixed(0).padStart(3)}%`
  return `[progress] ${u.phase}${pct}${u.detail ? ` - ${u.detail}` : ''}`
}

/** A one-line bar redrawn in place on an interactive terminal. */
export class BarSink implements ProgressSink {
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly width = 30) {}

  update(u: ProgressUpdate): void {
    const pct = u.percent ?? 0
    const filled = Math.round((pct / 100) * this.width)
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}]`
    const text = `${bar} ${pct.toFixed(0).padStart(3)}% ${u.phase}${u.detail ? ` ${u.detail}` : ''}`
    const cols = this.stream.columns ?? 100
    this.stream.write(`\r${text.slice(0, cols - 1).padEnd(cols - 1)}`)
  }

  end(final?: ProgressUpdate): void {
    if (final) this.update(final)
    this.stream.write('\n')
  }
}

/** Collects updates (tests, the report's phase timings). */
export class MemorySink implements ProgressSink {
  readonly updates: Array<ProgressUpdate & { at: number }> = []
  ended = false

  update(u: ProgressUpdate): void {
    this.updates.push({ ...u, at: Date.now() })
  }

  end(final?: ProgressUpdate): void {
    if (final) this.update(final)
    this.ended = true
  }
}
