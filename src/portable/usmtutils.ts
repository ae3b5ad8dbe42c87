/**
 * Portable UsmtUtils: /ec, /rd, /verify[:summary|all|failureonly|catalog], /extract.
 * /verify and /extract take the USMT.MIG file (as UsmtUtils does) or a store folder.
 */
import { stat } from 'node:fs/promises'
import * as nodePath from 'node:path'
import { wildcardMatches } from '../engine/pattern.js'
import { redactor } from '../runtime/redact.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { readStoreKey } from '../store/crypto.js'
import { ContainerReader } from '../store/container.js'
import { compressedStore, openStore, removeStore, USMT_DIR, type OpenedStore } from '../store/store.js'
import { storePathOf, type CatalogEntry } from '../store/catalog.js'
import { parseUsmtUtilsArgs } from '../usmt/grammar.js'
import type { UsmtUtilsOptions } from '../usmt/options.js'
import { USMT_MESSAGES, UsmtFailure } from '../usmt/return-codes.js'
import { failOnViolation, validateUsmtUtils } from '../usmt/validate.js'
import { joinCommandLine } from '../windows/path.js'
import { commandLineFailureText, reportCatalogSeal, toolPath, toolSealKey, toUsmtFailure, type PortableContext, type PortableResult } from './common.js'
import { openToolLog } from './tool-start.js'
import type { CatalogSeal } from '../store/seal.js'

export interface UsmtUtilsResult extends PortableResult {
  command?: string
  /** `seal`: how a hard-link or uncompressed store's catalog seal was checked (--seal-key-file); none for USMT.MIG. */
  verify?: { files: number; corrupted: string[]; extra?: string[]; catalog: 'OK' | 'CORRUPTED'; seal?: CatalogSeal }
  extracted?: number
  removed?: boolean
}

export const USMTUTILS_HELP = `usmt-steps usmtutils — portable UsmtUtils

  usmt-steps usmtutils /ec
  usmt-steps usmtutils /rd StoreDir [/y]
  usmt-steps usmtutils /verify[:summary|all|failureonly|catalog] FILE [/l:LOG] [/v:N] [/decrypt[:AES_256] /key:K | /keyfile:F] [--seal-key-file F]
  usmt-steps usmtutils /extract FILE DEST [/i:PATTERNS] [/e:PATTERNS] [/l:LOG] [/decrypt … /key:K | /keyfile:F] [--seal-key-file F] [/o]

FILE is STORE\\USMT\\USMT.MIG (or the store folder). --seal-key-file checks the seal of a hard-link or
uncompressed store's catalog (a rewritten catalog is CORRUPTED, 42).`


/** /i and /e of /extract: a pattern matches the file name or the whole Windows path; include wins. */
export function extractSelected(path: string, include: readonly string[], exclude: readonly string[]): boolean {
  const name = path.slice(path.lastIndexOf('\\') + 1)
  const hit = (p: string): boolean => wildcardMatches(p, name) || wildcardMatches(p, path)
  if (include.length && include.some(hit)) return true
  if (exclude.some(hit)) return false
  return include.length === 0
}

async function openForUtils(file: string, secret: string | undefined, sealKey: string | undefined): Promise<OpenedStore> {
  const st = await stat(file).catch(() => null)
  if (!st) throw new UsmtStepsError('USM0210', `${file} does not exist`)
  if (st.isFile()) return compressedStore(nodePath.dirname(nodePath.dirname(file)), await ContainerReader.open(file, secret))
  const root = nodePath.basename(file).toUpperCase() === USMT_DIR ? nodePath.dirname(file) : file
  return openStore(root, { secret, sealKey })
}

export async function runUsmtUtils(ctx: PortableContext): Promise<UsmtUtilsResult> {
  const now = ctx.now ?? (() => new Date())
  const started = now()
  const commandLine = redactor.redact(joinCommandLine(['usmtutils', ...ctx.argv]))
  const log = openToolLog(ctx, now, 'utils')
  if (log instanceof UsmtFailure) return { returnCode: log.returnCode, message: log.message }
  log.info(`USMT Started at ${started.toISOString()}`)
  log.info(`Command line: ${commandLine}`)
  log.info(`USMTUTILS.EXE Version ${ctx.version}`)
  const finish = (r: UsmtUtilsResult): UsmtUtilsResult => {
    log.returnCode(r.returnCode)
    log.close()
    return r
  }
  let o: UsmtUtilsOptions
  try {
    o = parseUsmtUtilsArgs(ctx.argv)
    if ('key' in o && o.key !== undefined) redactor.add(o.key)
    failOnViolation(validateUsmtUtils(o))
    if ('decrypt' in o && o.decrypt?.algorithm !== undefined && !['AES', 'AES_256'].includes(o.decrypt.algorithm.toUpperCase())) throw UsmtFailure.of('algorithm')
  } catch (err) {
    const f = toUsmtFailure(err, 'utils')
    log.error(`${f.message}${f.detail ? ` (${f.detail})` : ''}`)
    ctx.out(commandLineFailureText(f, ctx.argv))
    return finish({ returnCode: f.returnCode, message: f.message })
  }
  let store: OpenedStore | null = null
  try {
    switch (o.command) {
      case 'help':
        ctx.out(USMTUTILS_HELP)
        return finish({ returnCode: 1, message: USMT_MESSAGES.help, command: 'help' })
      case 'ec':
        ctx.out('AES_256')
        log.info('Supported algorithm: AES_256 (AES-256-GCM; usmt-steps stores only)')
        return finish({ returnCode: 0, message: USMT_MESSAGES.success, command: 'ec' })
      case 'rd': {
        const dir = toolPath(ctx, o.storeDir, 'storePathInvalid')
        const r = await removeStore(dir)
        log.info(r.removed ? `Removed the store ${dir}` : `${dir} does not exist; nothing to remove`)
        ctx.out(r.removed ? `Removed ${dir}` : `${dir} does not exist`)
        return finish({ returnCode: 0, message: USMT_MESSAGES.success, command: 'rd', removed: r.removed })
      }
      case 'verify': {
        const file = toolPath(ctx, o.file, 'storePathInvalid')
        const secret = o.decrypt ? await readStoreKey({ key: o.key, keyFile: o.keyFile === undefined ? undefined : toolPath(ctx, o.keyFile, 'keyfileAccess') }) : undefined
        const seal = toolSealKey(ctx, false)
        try {
          store = await openForUtils(file, secret, seal?.key)
        } catch (err) {
          if (err instanceof UsmtStepsError && (err.code === 'USM0212' || err.code === 'USM0222')) {
            if (o.report !== 'summary') ctx.out('CATALOG\tCORRUPTED')
            else ctx.out('Catalog: CORRUPTED')
            log.error(err.message)
            return finish({ returnCode: 42, message: USMT_MESSAGES.corruptedStore, command: 'verify', verify: { files: 0, corrupted: [], catalog: 'CORRUPTED' } })
          }
          throw err
        }
        const sealState = reportCatalogSeal(store, seal?.file, log, ctx.warn)
        const results = o.report === 'catalog' ? [] : await store.verify()
        const corrupted = results.filter((r) => !r.ok).map((r) => r.entry.path)
        for (const r of results) {
          if (o.report === 'all' || (o.report === 'failureonly' && !r.ok)) ctx.out(`${r.entry.path}\t${r.ok ? 'OK' : 'CORRUPTED'}`)
          if (!r.ok) log.error(`Corrupted file: ${r.entry.path}`)
        }
        // Files the store does not account for are never restored, but a store that verifies holds exactly
        // what the capture wrote: each is listed and the verification fails (42) (issue #20 item 6).
        const extra = o.report === 'catalog' ? [] : await store.extras()
        for (const x of extra) {
          ctx.out(`${x}\tEXTRA`)
          log.error(`Extra file in the store (not written by the capture, never restored): ${x}`)
        }
        if (o.report === 'summary') {
          ctx.out(`Number of files: ${store.catalog.files.length}`)
          ctx.out(`Intact: ${results.length - corrupted.length}`)
          ctx.out(`Corrupted: ${corrupted.length}`)
          ctx.out(`Extra: ${extra.length}`)
          ctx.out('Catalog: OK')
          if (sealState) ctx.out(`Seal: ${sealState === 'verified' ? 'verified' : sealState === 'unchecked' ? 'not checked (no --seal-key-file)' : 'none (the catalog is not sealed)'}`)
        } else {
          ctx.out('CATALOG\tOK')
        }
        const rc = corrupted.length || extra.length ? 42 : 0
        log.info(`Verified ${store.catalog.files.length} files: ${corrupted.length} corrupted, ${extra.length} extra; catalog OK`)
        return finish({ returnCode: rc, message: rc ? USMT_MESSAGES.corruptedStore : USMT_MESSAGES.success, command: 'verify', verify: { files: store.catalog.files.length, corrupted, extra, catalog: 'OK', ...(sealState ? { seal: sealState } : {}) } })
      }
      case 'extract': {
        const file = toolPath(ctx, o.file, 'storePathInvalid')
        const dest = toolPath(ctx, o.destination, 'storePathInvalid')
        const secret = o.decrypt ? await readStoreKey({ key: o.key, keyFile: o.keyFile === undefined ? undefined : toolPath(ctx, o.keyFile, 'keyfileAccess') }) : undefined
        const seal = toolSealKey(ctx, false)
        store = await openForUtils(file, secret, seal?.key)
        reportCatalogSeal(store, seal?.file, log, ctx.warn)
        const chosen = store.catalog.files.filter((e) => extractSelected(e.path, o.include, o.exclude))
        const bad = (await store.verify()).filter((r) => !r.ok && chosen.includes(r.entry))
        if (bad.length) {
          for (const b of bad) log.error(`Corrupted file: ${b.entry.path}`)
          throw UsmtFailure.of('corruptedStore', { detail: `${bad.length} corrupted file(s); nothing was extracted` })
        }
        const items: Array<{ entry: CatalogEntry; dest: string }> = []
        for (const e of chosen) {
          const target = nodePath.join(dest, ...storePathOf(e.path).split('/'))
          if (!o.overwrite && (await stat(target).then(() => true, () => false))) throw UsmtFailure.of('cannotOverwrite', { detail: `${target} exists; pass /o to overwrite` })
          items.push({ entry: e, dest: target })
        }
        await store.restore(items)
        log.info(`Extracted ${items.length} files to ${dest}`)
        ctx.out(`${items.length} files extracted to ${dest}`)
        return finish({ returnCode: 0, message: USMT_MESSAGES.success, command: 'extract', extracted: items.length })
      }
    }
  } catch (err) {
    const f = toUsmtFailure(err, 'utils')
    log.error(`${f.message}${f.detail ? ` (${f.detail})` : ''}`)
    ctx.out(`${f.message}${f.detail ? ` (${f.detail})` : ''}`)
    return finish({ returnCode: f.returnCode, message: f.message, command: o.command })
  } finally {
    await store?.close()
  }
  return finish({ returnCode: 11, message: USMT_MESSAGES.optionNotValid })
}
