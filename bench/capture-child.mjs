// One measured portable run in its own process (bench/capture.mjs starts it under /usr/bin/time -v).
// node --import tsx bench/capture-child.mjs scanstate|loadstate|storeonly VOLUME_DIR ARGS…
import { readdirSync } from 'node:fs'
import * as path from 'node:path'

const [op, vol, ...rest] = process.argv.slice(2)
const { VolumeMap } = await import('../src/windows/volume-map.js')
const out = (l) => process.stderr.write(`${l}\n`)
let rc = 0
if (op === 'scanstate' || op === 'loadstate') {
  const mod = op === 'scanstate' ? await import('../src/portable/scanstate.js') : await import('../src/portable/loadstate.js')
  const run = op === 'scanstate' ? mod.runScanState : mod.runLoadState
  const r = await run({ argv: rest, cwd: process.cwd(), volumes: VolumeMap.parse([`C=${vol}`]), computer: 'PC', version: 'bench', out })
  rc = r.returnCode
} else if (op === 'storeonly') {
  // The store layer alone: walk the tree and hard-link every file (no rule engine).
  const { StoreSession } = await import('../src/store/store.js')
  const s = await StoreSession.create(rest[0], { kind: 'hardlink', overwrite: true })
  const walk = async (dir, win) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const local = path.join(dir, d.name)
      const w = `${win}\\${d.name}`
      if (d.isDirectory()) await walk(local, w)
      else await s.addFile({ path: w, localPath: local, user: null, component: 'bench', bytes: 0, mtimeMs: 0, atimeMs: 0, birthtimeMs: 0, attributes: { readOnly: false, hidden: false, system: false } })
    }
  }
  await walk(vol, 'C:')
  await s.commit({ kind: 'hardlink', encrypted: false, created: new Date().toISOString(), computer: 'PC', tool: 'bench', users: [], ruleFiles: [], ignoredErrors: 0 })
}
process.exitCode = rc
