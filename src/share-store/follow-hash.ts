/**
 * SHA-256 of downloaded files while the download writes them, so checking a store against its manifest costs only
 * the tail that arrives after the last read instead of a second pass over gigabytes. The transport (smbclient's
 * `get`, or a write stream) creates each file in the emptied staging folder and fills it in the given order, while
 * each is opened as soon as it exists and read up to its expected size as it grows. (The files are not created
 * ahead: on ext4 a write into a file opened with O_TRUNC is flushed at close, and the next fsync on that file
 * system, e.g. of the task-sequence variables, then waits for the whole download to reach the disk.) After the
 * download, `checkFollowed` confirms each path still names the inode that was read and has the expected size; a
 * file the writer replaced or that grew is hashed again from its path, so the check never trusts what it did not
 * read.
 */
import { createHash } from 'node:crypto'
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import * as fsp from 'node:fs/promises'
import { sha256File } from '../runtime/file-hash.js'

export interface FollowedFile {
  /** Local path the download writes. */
  local: string
  /** Size the manifest gives it. */
  size: number
}

export interface Followed {
  sha256: string
  /** Bytes read (and hashed). */
  bytes: number
  ino: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Hash each file, in order, as it is written, until it reached its expected size — or, once `done` has settled, to
 * its end (a download that failed ends the reading too: the caller reports the download's error). A file longer
 * than expected is left to `checkFollowed`, which sees its size; a file that never appeared is read as empty.
 * Reads are synchronous (from the page cache, into one buffer): the event loop has nothing else to do meanwhile
 * but take the transport's few lines of output.
 */
export async function hashWhileWritten(files: readonly FollowedFile[], done: Promise<unknown>, pollMs = 2): Promise<Followed[]> {
  let settled = false
  done.then(() => { settled = true }, () => { settled = true })
  const buf = Buffer.allocUnsafe(1 << 20)
  const out: Followed[] = []
  for (const f of files) {
    let fd: number | null = null
    while (fd === null) {
      const finished = settled
      try {
        fd = openSync(f.local, 'r')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        if (finished) break
        await sleep(pollMs)
      }
    }
    if (fd === null) {
      out.push({ sha256: createHash('sha256').digest('hex'), bytes: 0, ino: -1 })
      continue
    }
    try {
      const h = createHash('sha256')
      let pos = 0
      for (;;) {
        const finished = settled // read before looking: whatever was written before `done` settled is read
        const want = finished ? buf.length : Math.min(buf.length, f.size - pos)
        if (want === 0) break
        const n = readSync(fd, buf, 0, want, pos)
        if (n > 0) {
          h.update(buf.subarray(0, n))
          pos += n
        } else if (finished) {
          break
        } else {
          await sleep(pollMs)
        }
      }
      out.push({ sha256: h.digest('hex'), bytes: pos, ino: fstatSync(fd).ino })
    } finally {
      closeSync(fd)
    }
  }
  return out
}

/**
 * The SHA-256 of each file as it is on disk now: the followed hash when the path still names the inode read and
 * holds exactly the bytes read, else a fresh hash of the path ('missing' for a file that is not there).
 */
export async function checkFollowed(files: readonly FollowedFile[], followed: readonly Followed[]): Promise<string[]> {
  return Promise.all(files.map(async (f, i) => {
    const st = await fsp.stat(f.local).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null
      throw err
    })
    if (!st) return 'missing'
    const seen = followed[i]
    return seen && st.ino === seen.ino && st.size === seen.bytes ? seen.sha256 : sha256File(f.local)
  }))
}
