import { closeSync, openSync, writeSync } from 'node:fs'

/** Write all of `data` to `fd`: writeSync may write less than asked, so loop until every byte is out. */
export function writeAllSync(fd: number, data: string | Buffer, start = 0, end?: number): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const stop = end ?? buf.length
  let off = start
  while (off < stop) off += writeSync(fd, buf, off, stop - off)
}

/**
 * Write all of `data` through a file handle: a write may take fewer bytes than asked (a file system filling
 * up), so loop; a write that makes no progress is ENOSPC. Never a silently short file (issue #20 item 2).
 */
export async function writeAll(fh: { write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }> }, data: Uint8Array): Promise<void> {
  let off = 0
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off)
    if (bytesWritten <= 0) throw Object.assign(new Error(`no space left: wrote ${off} of ${data.length} bytes`), { code: 'ENOSPC' })
    off += bytesWritten
  }
}

/** A file written in blocks: text collects in memory and goes out once `blockChars` are pending, on flush() and close(). */
export class BufferedFile {
  protected fd: number | null
  protected buf = ''
  private readonly blockChars: number

  constructor(readonly path: string, opts: { flags?: string; mode?: number; blockChars?: number } = {}) {
    this.fd = openSync(path, opts.flags ?? 'w', opts.mode)
    this.blockChars = opts.blockChars ?? 1 << 16
  }

  write(text: string): void {
    this.buf += text
    this.flushIfFull()
  }

  protected flushIfFull(): void {
    if (this.buf.length >= this.blockChars) this.flush()
  }

  flush(): void {
    if (this.buf && this.fd !== null) writeAllSync(this.fd, this.buf)
    this.buf = ''
  }

  close(): void {
    if (this.fd === null) return
    try {
      this.flush()
    } finally {
      closeSync(this.fd)
      this.fd = null
    }
  }
}
