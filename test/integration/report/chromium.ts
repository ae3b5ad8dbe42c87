/**
 * A minimal Chrome DevTools Protocol client over `--remote-debugging-pipe` (fd 3 in, fd 4 out, messages
 * ending in NUL) for Debian's headless Chromium: no WebSocket, no browser download. Used by the report's
 * browser test and by scripts/report-screenshot.mjs. Collects console errors, uncaught exceptions, log
 * entries (CSP violations, failed loads) and every network request the page makes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Readable, Writable } from 'node:stream'

export const CHROMIUM = process.env.USMT_STEPS_CHROMIUM ?? '/usr/bin/chromium'

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM)
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void
  reject: (e: Error) => void
}

export interface PageProblems {
  consoleErrors: string[]
  exceptions: string[]
  logErrors: string[]
  /** Requests other than the page itself (file:) and inline data: URLs. */
  networkRequests: string[]
}

export class Chromium {
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private readonly listeners: Array<(method: string, params: Record<string, unknown>, sessionId?: string) => void> = []
  private buffer = ''
  private exited = false

  private constructor(private readonly proc: ChildProcess, private readonly userDataDir: string) {
    const out = proc.stdio[4] as Readable
    out.setEncoding('utf8')
    out.on('data', (chunk: string) => {
      this.buffer += chunk
      let i: number
      while ((i = this.buffer.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, i)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string }
        this.buffer = this.buffer.slice(i + 1)
        if (msg.id !== undefined) {
          const p = this.pending.get(msg.id)
          this.pending.delete(msg.id)
          if (msg.error) p?.reject(new Error(msg.error.message))
          else p?.resolve(msg.result ?? {})
        } else if (msg.method) {
          for (const l of this.listeners) l(msg.method, msg.params ?? {}, msg.sessionId)
        }
      }
    })
    proc.on('exit', () => {
      this.exited = true
      for (const p of this.pending.values()) p.reject(new Error('chromium exited'))
      this.pending.clear()
    })
  }

  static async launch(opts: { width?: number; height?: number } = {}): Promise<Chromium> {
    const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'usmt-steps-chromium-'))
    const proc = spawn(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--mute-audio', '--hide-scrollbars',
      `--user-data-dir=${userDataDir}`, `--window-size=${opts.width ?? 1280},${opts.height ?? 900}`, '--remote-debugging-pipe', 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] })
    proc.stderr?.resume()
    const c = new Chromium(proc, userDataDir)
    await c.send('Browser.getVersion')
    return c
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new Error('chromium exited'))
    const id = this.nextId++
    const p = new Promise<Record<string, unknown>>((resolve, reject) => this.pending.set(id, { resolve, reject }))
    ;(this.proc.stdio[3] as Writable).write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`)
    return p
  }

  on(listener: (method: string, params: Record<string, unknown>, sessionId?: string) => void): void {
    this.listeners.push(listener)
  }

  waitFor(method: string, sessionId: string, timeoutMs = 30000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${method}`)), timeoutMs)
      this.on((m, params, sid) => {
        if (m === method && sid === sessionId) {
          clearTimeout(timer)
          resolve(params)
        }
      })
    })
  }

  /** Open a page (file URL) in a new tab, collecting problems from before the first byte. */
  async open(url: string): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' }) as { targetId: string }
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true }) as { sessionId: string }
    const problems: PageProblems = { consoleErrors: [], exceptions: [], logErrors: [], networkRequests: [] }
    this.on((method, params, sid) => {
      if (sid !== sessionId) return
      if (method === 'Runtime.consoleAPICalled' && (params.type === 'error' || params.type === 'assert')) {
        problems.consoleErrors.push(JSON.stringify(params.args))
      } else if (method === 'Runtime.exceptionThrown') {
        problems.exceptions.push(JSON.stringify(params.exceptionDetails))
      } else if (method === 'Log.entryAdded') {
        const entry = params.entry as { level: string; text: string; url?: string }
        if (entry.level === 'error') problems.logErrors.push(`${entry.text} ${entry.url ?? ''}`)
      } else if (method === 'Network.requestWillBeSent') {
        const u = (params.request as { url: string }).url
        if (u !== url && !u.startsWith('data:') && u !== 'about:blank') problems.networkRequests.push(u)
      }
    })
    await Promise.all(['Runtime.enable', 'Log.enable', 'Page.enable', 'Network.enable'].map((m) => this.send(m, {}, sessionId)))
    const loaded = this.waitFor('Page.loadEventFired', sessionId)
    await this.send('Page.navigate', { url }, sessionId)
    await loaded
    return new Page(this, sessionId, problems)
  }

  async close(): Promise<void> {
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()))
      await this.send('Browser.close').catch(() => undefined)
      const timer = setTimeout(() => { if (!this.exited && this.proc.pid) this.proc.kill('SIGKILL') }, 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(this.userDataDir, { recursive: true, force: true })
  }
}

export class Page {
  constructor(private readonly browser: Chromium, readonly sessionId: string, readonly problems: PageProblems) {}

  /** Evaluate an expression in the page and return its value (JSON-serialisable results only). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.browser.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, this.sessionId) as
      { result: { value: T }; exceptionDetails?: unknown }
    if (r.exceptionDetails) throw new Error(`evaluation failed: ${JSON.stringify(r.exceptionDetails)}`)
    return r.result.value
  }

  /** PNG of the whole page (up to maxHeight CSS pixels). */
  async screenshot(width: number, maxHeight = 4000): Promise<Buffer> {
    const height = Math.min(maxHeight, await this.evaluate<number>('Math.ceil(document.documentElement.scrollHeight)'))
    await this.browser.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, this.sessionId)
    const r = await this.browser.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width, height, scale: 1 } }, this.sessionId) as { data: string }
    return Buffer.from(r.data, 'base64')
  }
}
