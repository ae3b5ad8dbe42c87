import { writeSync } from 'node:fs'

/** Write all of `data` to `fd`: writeSync may write less than asked, so loop until every byte is out. */
export function writeAllSync(fd: number, data: string | Buffer, start = 0, end?: number): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const stop = end ?? buf.length
  let off = start
  while (off < stop) off += writeSync(fd, buf, off, stop - off)
}
