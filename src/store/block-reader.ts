/** Buffered sequential reads of a store file (the container reader's frames and stored-frames digests). */
import type { FileHandle } from 'node:fs/promises'

/**
 * Buffered sequential reads from a file handle, into one block buffer allocated once (no fresh pages per read).
 * `read` returns a view that is valid until the next call; `readInto` copies (or reads large parts directly) into
 * the caller's buffer.
 */
export class BlockReader {
  private readonly buf: Buffer
  private start = 0
  private end = 0
  /** The file position of buf[end]. */
  private filePos = 0
  constructor(private readonly fh: FileHandle, private readonly limit: number, block = 8 << 20, private readonly ahead = 128 << 10) {
    this.buf = Buffer.allocUnsafe(block)
  }

  seek(pos: number): void {
    const bufStart = this.filePos - this.end
    if (pos >= bufStart && pos <= this.filePos) {
      this.start = pos - bufStart
      return
    }
    this.start = this.end = 0
    this.filePos = pos
  }

  /** Make `need` bytes (at most the block size) available from `start`, reading ahead a little. */
  private async fill(need: number): Promise<void> {
    if (need > this.buf.length) throw new Error('read larger than the block')
    if (this.buf.length - this.start < need) {
      this.buf.copy(this.buf, 0, this.start, this.end)
      this.end -= this.start
      this.start = 0
    }
    while (this.end - this.start < need) {
      const want = Math.min(this.buf.length - this.end, this.limit - this.filePos, Math.max(need - (this.end - this.start), this.ahead))
      if (want <= 0) throw new Error('read past end')
      const { bytesRead } = await this.fh.read(this.buf, this.end, want, this.filePos)
      if (bytesRead === 0) throw new Error('unexpected end of file')
      this.end += bytesRead
      this.filePos += bytesRead
    }
  }

  async read(n: number): Promise<Buffer> {
    await this.fill(n)
    const out = this.buf.subarray(this.start, this.start + n)
    this.start += n
    return out
  }

  async readInto(dst: Buffer): Promise<void> {
    let done = Math.min(dst.length, this.end - this.start)
    this.buf.copy(dst, 0, this.start, this.start + done)
    this.start += done
    const rest = dst.length - done
    if (rest === 0) return
    if (rest < this.ahead) {
      await this.fill(rest)
      this.buf.copy(dst, done, this.start, this.start + rest)
      this.start += rest
      return
    }
    // A large remainder goes straight into dst; the block is empty afterwards.
    if (this.filePos + rest > this.limit) throw new Error('read past end')
    while (done < dst.length) {
      const { bytesRead } = await this.fh.read(dst, done, dst.length - done, this.filePos)
      if (bytesRead === 0) throw new Error('unexpected end of file')
      done += bytesRead
      this.filePos += bytesRead
    }
    this.start = this.end = 0
  }
}
