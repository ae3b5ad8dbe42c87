/**
 * The `/p:FILE` space estimate (usmt.md §4) and the `/listfiles:FILE` list.
 */
import { BufferedFile } from '../runtime/write-all.js'

export interface SpaceEstimate {
  /** Bytes needed to host the store (rounded up to whole clusters per file). */
  storeBytes: number
  clusterSize: number
  /** Temporary working space in bytes (not counting USMT's 250 MB minimum). */
  temporaryBytes: number
}

/** The documented `<PreMigration>` document. */
export function formatEstimateXml(e: SpaceEstimate): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<PreMigration>',
    '  <storeSize>',
    `    <size clusterSize="${e.clusterSize}">${Math.round(e.storeBytes)}</size>`,
    '  </storeSize>',
    '  <temporarySpace>',
    `    <size>${Math.round(e.temporaryBytes)}</size>`,
    '  </temporarySpace>',
    '</PreMigration>',
    '',
  ].join('\r\n')
}

/** Read back `/PreMigration/storeSize/size` and the temporary space (for consumers of the estimate). */
export function parseEstimateXml(xml: string): SpaceEstimate | null {
  const store = /<storeSize>\s*<size(?:\s+clusterSize="(\d+)")?\s*>(\d+)<\/size>/.exec(xml)
  const temp = /<temporarySpace>\s*<size>(\d+)<\/size>/.exec(xml)
  if (!store) return null
  return { storeBytes: Number(store[2]), clusterSize: Number(store[1] ?? 4096), temporaryBytes: temp ? Number(temp[1]) : 0 }
}

/** Bytes a file occupies in whole clusters. */
export function clusterRound(bytes: number, clusterSize = 4096): number {
  return Math.ceil(bytes / clusterSize) * clusterSize
}

/** `/listfiles`: one Windows path per line (CRLF), written as the capture goes in blocks of about 64 KiB. */
export class ListFilesWriter extends BufferedFile {
  count = 0

  add(winPath: string): void {
    this.count++
    this.write(`${winPath}\r\n`)
  }

  override async close(): Promise<void> {
    super.close()
  }
}
