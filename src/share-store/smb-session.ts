/**
 * One smbclient process for all the operations of a step on one share: smbclient reads its commands from stdin
 * and keeps the SMB session (negotiation, NTLM/Kerberos, signing keys) between them. Starting smbclient and logging
 * on costs about 0.1 s of CPU and wall time per process, a store step does 7–15 operations per share, and the
 * records of many stores are read one per operation — so a step pays for one logon instead of one per operation.
 *
 * Framing: after each group of commands the session sends `pwd`, whose answer ("Current directory is …") is the only
 * line smbclient starts that way (`ls` lines are indented, transfer lines begin "putting"/"getting", errors
 * "NT_STATUS_…"); file content never goes to stdout in a session (`get X -` is not used here). smbclient runs under
 * `stdbuf -i0 -oL`: it waits for input with select() and then reads a line with fgets(), so a buffered stdin would
 * swallow the later lines of a write into its buffer where select() cannot see them (the session would stall until
 * more input came), and stdout to a pipe would be block-buffered. stderr is merged into stdout in order (`2>&1`),
 * so each group's text is complete when its marker arrives. smbclient carries on after a failed command and has no
 * per-command exit code: callers check the text (NT_STATUS lines, the "putting file"/"getting file" lines).
 * When the process ends, the group in flight gets the text so far and the exit code; the next group starts a new
 * process (a new logon), as separate processes would.
 */
import type { ChildProcess } from 'node:child_process'
import { StringDecoder } from 'node:string_decoder'

/** The answer of smbclient's `pwd`: the end of a group of commands. */
export const MARKER_COMMAND = 'pwd'
const MARKER = /^Current directory is /

export interface GroupResult {
  /** stdout and stderr of the group's commands, in order, without the marker line. */
  text: string
  /** null while the process runs; its exit code (or null for a signal) when it ended before the marker. */
  ended: { exitCode: number | null } | null
}

/**
 * Splits a session's output into groups: `push` text as it arrives, `next` resolves with the text of the next group
 * once its marker line arrived (or with the text so far when the output ended).
 */
export class GroupFramer {
  private buffer = ''
  private lines: string[] = []
  private readonly done: GroupResult[] = []
  private waiters: Array<(r: GroupResult) => void> = []
  private endedWith: { exitCode: number | null } | null = null

  push(text: string): void {
    this.buffer += text
    let nl: number
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '')
      this.buffer = this.buffer.slice(nl + 1)
      if (MARKER.test(line)) this.complete({ text: this.lines.join('\n'), ended: null })
      else this.lines.push(line)
    }
  }

  /** The output ended (the process exited): the group in flight, and every later one, get what there is. */
  end(exitCode: number | null): void {
    if (this.endedWith) return
    this.endedWith = { exitCode }
    if (this.buffer) this.lines.push(this.buffer)
    this.buffer = ''
    this.complete({ text: this.lines.join('\n'), ended: this.endedWith })
    for (const w of this.waiters.splice(0)) w({ text: '', ended: this.endedWith })
  }

  next(): Promise<GroupResult> {
    const ready = this.done.shift()
    if (ready) return Promise.resolve(ready)
    if (this.endedWith) return Promise.resolve({ text: '', ended: this.endedWith })
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private complete(r: GroupResult): void {
    this.lines = []
    const w = this.waiters.shift()
    if (w) w(r)
    else this.done.push(r)
  }
}

export type SessionSpawn = () => ChildProcess

/**
 * A running smbclient session. `run` sends one group of commands and resolves with its text; groups run one after
 * another in call order. The process keeps Node's event loop alive only while a group is in flight, so a step
 * that forgets `close()` still exits (smbclient then ends at EOF of its stdin).
 */
export class SmbSession {
  private child: ChildProcess | null = null
  private framer: GroupFramer | null = null
  private queue: Promise<unknown> = Promise.resolve()
  private inFlight = 0

  constructor(private readonly spawn: SessionSpawn) {}

  run(commands: readonly string[]): Promise<GroupResult> {
    const result = this.queue.then(() => this.send(commands))
    this.queue = result.catch(() => undefined)
    return result
  }

  private start(): { child: ChildProcess; framer: GroupFramer } {
    const child = this.spawn()
    const framer = new GroupFramer()
    const decoder = new StringDecoder('utf8')
    child.stdout?.on('data', (chunk: Buffer) => framer.push(decoder.write(chunk)))
    child.stdin?.on('error', () => undefined) // a process that died: its exit reports it
    child.on('error', () => framer.end(null))
    child.on('close', (code: number | null) => {
      framer.push(decoder.end())
      framer.end(code)
      if (this.child === child) {
        this.child = null
        this.framer = null
      }
    })
    this.child = child
    this.framer = framer
    return { child, framer }
  }

  private async send(commands: readonly string[]): Promise<GroupResult> {
    const { child, framer } = this.child && this.framer ? { child: this.child, framer: this.framer } : this.start()
    this.hold(child, 1)
    try {
      child.stdin?.write(`${[...commands, MARKER_COMMAND].join('\n')}\n`)
      return await framer.next()
    } finally {
      this.hold(child, -1)
    }
  }

  /** Ref the process and its pipes while a group is in flight, unref them when idle. */
  private hold(child: ChildProcess, delta: number): void {
    this.inFlight += delta
    const handles = [child, child.stdout, child.stdin] as Array<{ ref?(): unknown; unref?(): unknown } | null>
    for (const h of handles) {
      if (this.inFlight > 0) h?.ref?.()
      else h?.unref?.()
    }
  }

  /** `exit` and wait for the process to end (it is killed after `graceMs`). */
  async close(graceMs = 5000): Promise<void> {
    await this.queue
    const child = this.child
    if (!child) return
    this.child = null
    this.framer = null
    if (child.exitCode !== null || child.signalCode !== null) return
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
    this.hold(child, 1) // keep the event loop until smbclient has ended
    child.stdin?.end('exit\n')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    timer.unref()
    await closed
    clearTimeout(timer)
    this.hold(child, -1)
  }
}
