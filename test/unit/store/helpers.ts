import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { HEADER_SIZE, TRAILER_SIZE } from '../../../src/store/container.js'
import { MIG_FILE, USMT_DIR } from '../../../src/store/layout.js'
import { StoreSession } from '../../../src/store/store.js'
import type { SourceFile } from '../../../src/store/types.js'

/** A small source tree with text, binary, empty and multi-frame files; returns SourceFiles for it. */
export function makeTree(root: string, opts: { big?: number } = {}): SourceFile[] {
  const files: Array<[string, Buffer]> = [
    ['Users/ann/Documents/report.docx', Buffer.from('quarterly report '.repeat(500))],
    ['Users/ann/Documents/empty.txt', Buffer.alloc(0)],
    ['Users/ann/Pictures/photo.jpg', randomBytes(300_000)],
    ['Users/ann/Desktop/notes with space.txt', Buffer.from('line\r\n'.repeat(100))],
    ['Users/bob/Documents/big.bin', Buffer.concat([Buffer.from('x'.repeat(opts.big ?? 2_500_000)), randomBytes(1000)])],
    ['Data/shared.csv', Buffer.from('a,b,c\n1,2,3\n')],
  ]
  const out: SourceFile[] = []
  let t = 1_700_000_000_000
  for (const [rel, content] of files) {
    const local = path.join(root, ...rel.split('/'))
    mkdirSync(path.dirname(local), { recursive: true })
    writeFileSync(local, content)
    t += 86_400_123
    utimesSync(local, (t + 5000) / 1000, t / 1000)
    const st = statSync(local)
    out.push({
      path: `C:\\${rel.split('/').join('\\')}`, localPath: local, user: rel.startsWith('Users/ann') ? 'PC\\ann' : rel.startsWith('Users/bob') ? 'PC\\bob' : null,
      component: 'Test', bytes: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, birthtimeMs: st.birthtimeMs,
      attributes: { readOnly: rel.endsWith('.csv'), hidden: false, system: false },
    })
  }
  return out
}

export function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

export const META = {
  kind: 'compressed' as const, encrypted: false, created: '2024-01-01T00:00:00Z', computer: 'PC', tool: 'test', users: [], ruleFiles: [], ignoredErrors: 0,
}

/**
 * An unencrypted container with its catalog changed by `edit` and its digest recomputed (as someone who rewrites
 * the catalog would): the checks after the catalog digest must catch what `edit` did.
 */
export function rewriteCatalog(mig: Buffer, edit: (catalog: { files: Array<Record<string, unknown>> }) => void): Buffer {
  const catOff = Number(mig.readBigUInt64LE(mig.length - TRAILER_SIZE + 8))
  const block = mig.subarray(catOff, mig.length - TRAILER_SIZE)
  const cat = JSON.parse(inflateRawSync(block.subarray(5)).toString('utf8'))
  edit(cat)
  const payload = deflateRawSync(Buffer.from(JSON.stringify(cat)))
  const head = Buffer.alloc(5)
  head.writeUInt32LE(payload.length, 0)
  head.writeUInt8(1, 4)
  const newBlock = Buffer.concat([head, payload])
  const trailer = Buffer.alloc(TRAILER_SIZE)
  mig.copy(trailer, 0, mig.length - TRAILER_SIZE, mig.length - TRAILER_SIZE + 32)
  trailer.writeBigUInt64LE(BigInt(newBlock.length), 16)
  createHash('sha256').update(mig.subarray(0, HEADER_SIZE)).update(newBlock).update(trailer.subarray(0, 32)).digest().copy(trailer, 32)
  return Buffer.concat([mig.subarray(0, catOff), newBlock, trailer])
}

/** A compressed store captured from a small tree into `root` (through the store's own session); the container's path. */
export async function captureCompressed(root: string, src: string, secret?: string): Promise<string> {
  const session = await StoreSession.create(root, { kind: 'compressed', overwrite: false, ...(secret !== undefined ? { secret } : {}) })
  for (const f of makeTree(src)) await session.addFile(f)
  await session.commit({ ...META, encrypted: secret !== undefined })
  return path.join(root, USMT_DIR, MIG_FILE)
}
