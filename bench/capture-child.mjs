// One measured run in its own process (bench/capture.mjs starts it under /usr/bin/time -v).
//   node bench/capture-child.mjs scanstate|loadstate VOLUME_DIR USMT_ARGS…   the portable tools (built code)
//   node bench/capture-child.mjs storeonly SRC_DIR STORE_DIR                walk + hard-link store layer
//   node bench/capture-child.mjs floor SRC_DIR DEST_DIR                     bare Node: readdir + mkdir + link
// The code under test comes from BENCH_DIST (default: dist/, built with `npm run build`); with BENCH_TSX=1
// (and `node --import tsx`) it comes from src/ instead.
import { linkSync, lstatSync, mkdirSync, readdirSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const base = process.env.BENCH_TSX === '1' ? path.join(ROOT, 'src') : path.resolve(process.env.BENCH_DIST ?? path.join(ROOT, 'dist'))
const load = (rel) => import(pathToFileURL(path.join(base, rel)).href)

const [op, vol, ...rest] = process.argv.slice(2)
const out = (l) => process.stderr.write(`${l}\n`)
let rc = 0
if (op === 'scanstate' || op === 'loadstate') {
  const { VolumeMap } = await load('windows/volume-map.js')
  const mod = op === 'scanstate' ? await load('portable/scanstate.js') : await load('portable/loadstate.js')
  const run = op === 'scanstate' ? mod.runScanState : mod.runLoadState
  const r = await run({ argv: rest, cwd: process.cwd(), volumes: VolumeMap.parse([`C=${vol}`]), computer: 'PC', version: 'bench', out })
  rc = r.returnCode
} else if (op === 'storeonly') {
  // The store layer alone: walk the tree and add every file to a hard-link store (one link(2) per file and
  // the streamed catalog). No rule engine: in scanstate the engine's walk has already stat'ed each file and
  // hands over its size and times; here every file carries the size and times of the first one (real values,
  // so the catalog costs what it costs in a capture).
  const { StoreSession } = await load('store/store.js')
  const s = await StoreSession.create(rest[0], { kind: 'hardlink', overwrite: true })
  const add = s.addFileSync
  const attributes = { readOnly: false, hidden: false, system: false }
  let st = null
  const walk = (dir, win) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const local = path.join(dir, d.name)
      const w = `${win}\\${d.name}`
      if (d.isDirectory()) walk(local, w)
      else {
        st ??= lstatSync(local)
        add({ path: w, localPath: local, user: null, component: 'bench', bytes: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, birthtimeMs: st.birthtimeMs, attributes })
      }
    }
  }
  walk(vol, 'C:\\Data')
  await s.commit({ kind: 'hardlink', encrypted: false, created: new Date().toISOString(), computer: 'PC', tool: 'bench', users: [], ruleFiles: [], ignoredErrors: 0 })
} else if (op === 'floor') {
  // The floor for any Node implementation of the store layer: readdir, one mkdir per folder, one link per
  // file, nothing else (cp -al also stats every file).
  const walk = (src, dest) => {
    mkdirSync(dest)
    for (const d of readdirSync(src, { withFileTypes: true })) {
      const s = path.join(src, d.name)
      const t = path.join(dest, d.name)
      if (d.isDirectory()) walk(s, t)
      else linkSync(s, t)
    }
  }
  walk(vol, rest[0])
} else {
  throw new Error(`unknown operation ${op}`)
}
process.exitCode = rc
