import { closeSync, openSync, writeSync } from 'node:fs'

/** Write all of `data` to `fd`: writeSync may write less than asked, so loop until every byte is out. */
export function writeAllSync(fd: number, data: string | Buffer, start = 0, end?: number): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const stop = end ?? buf.length
  let off = start
  while (off < stop) off += writeSync(fd, buf, off, stop - off)
}

/**
 * Write all of `data` through a file handle, at the file's position or from `position` on: a write may take fewer
 * bytes than asked (a file system filling up), so loop; a write that makes no progress is ENOSPC. Never a silently
 * short file (issue #20 item 2).
 */
export async function writeAll(fh: { write(buffer: Uint8Array, offset: number, length: number, position?: number | null): Promise<{ bytesWritten: number }> }, data: Uint8Array, position?: number): Promise<void> {
  let off = 0
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off, position === undefined ? null : position + off)
    if (bytesWritten <= 0) throw Object.assign(new Error(`no space left: wrote ${off} of ${data.length} bytes`), { code: 'ENOSPC' })
    off += bytesWritten
  }
}

/** writev `bufs` from `position` until every byte is written (a short write continues where it stopped). */
export async function writevAll(fh: { fd: number; writev(buffers: readonly Uint8Array[], position?: number | null): Promise<{ bytesWritten: number }> }, bufs: readonly Buffer[], position: number): Promise<void> {
  let pos = position
  let rest = [...bufs]
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, pos)
    pos += bytesWritten
    let skip = bytesWritten
    let i = 0
    while (i < rest.length && skip >= rest[i].length) skip -= rest[i++].length
    rest = rest.slice(i)
    if (skip > 0) rest[0] = rest[0].subarray(skip)
    if (bytesWritten === 0 && rest.length > 0) throw Object.assign(new Error(`${fh.fd}: no progress writing the container`), { code: 'EIO' })
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
