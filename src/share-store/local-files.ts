/**
 * Local files of a staged store: the walk that lists them for an upload (their SHA-256: runtime/file-hash.ts).
 */
import * as fsp from 'node:fs/promises'
import * as nodePath from 'node:path'

export interface LocalFile {
  rel: string
  abs: string
  size: number
}

/** Every file below a local folder, with `/`-separated relative paths, sorted. */
export async function walkLocal(root: string): Promise<LocalFile[]> {
  const out: LocalFile[] = []
  const walk = async (dir: string, rel: string[]): Promise<void> => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const abs = nodePath.join(dir, e.name)
      if (e.isDirectory()) await walk(abs, [...rel, e.name])
      else if (e.isFile()) out.push({ rel: [...rel, e.name].join('/'), abs, size: (await fsp.stat(abs)).size })
    }
  }
  await walk(root, [])
  return out.sort((a, b) => a.rel.localeCompare(b.rel))
}
