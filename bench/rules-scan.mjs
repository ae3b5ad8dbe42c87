#!/usr/bin/env node
// bench/rules-scan: generate a Windows-layout tree of N files (default 200,000), then in the same run
// time `find TREE -type f -printf '%s\n'` and `usmt-steps rules preview --json` with MigUser.xml over it,
// and report the wall-time ratio and the peak RSS of each (GNU time). The CLI is compiled from src/ into a
// temporary folder first, so the bench does not touch dist/.
//   node bench/rules-scan.mjs [--files N] [--keep]
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const arg = (name, def) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : def
}
const total = Number(arg('--files', '200000'))
const migUser = path.resolve(root, process.env.USMT_STEPS_FIXTURES ?? '../shared/fixtures', 'usmt-xml', 'MigUser.xml')
if (!existsSync(migUser)) throw new Error(`MigUser.xml not found at ${migUser} (set USMT_STEPS_FIXTURES)`)
const work = mkdtempSync(path.join(os.tmpdir(), 'usmt-rules-bench-'))
const tree = path.join(work, 'C')

// ---------------------------------------------------------------- tree
// Files round-robin over 40 user profiles (Documents/Desktop/Pictures/Music/AppData …: 600 folders) and
// Windows, Program Files, ProgramData and root data folders; extensions mixed so MigUser's User Data search
// has work to do.
const exts = ['docx', 'xlsx', 'txt', 'pdf', 'jpg', 'png', 'mp3', 'dll', 'exe', 'dat', 'tmp', 'csv', 'pptx', 'log', 'json']
const userDirs = ['Documents', 'Documents\\Projects', 'Documents\\Archive\\2023', 'Desktop', 'Pictures', 'Pictures\\Camera Roll', 'Music', 'Videos',
  'Downloads', 'Favorites', 'AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs', 'AppData\\Roaming\\Microsoft\\Templates',
  'AppData\\Local\\Temp', 'AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache', 'AppData\\Local\\Microsoft\\Windows\\INetCache\\IE']
const sysDirs = ['Windows\\System32', 'Windows\\System32\\drivers', 'Windows\\WinSxS\\amd64_pkg', 'Windows\\Fonts', 'Program Files\\Contoso\\bin',
  'Program Files (x86)\\Legacy\\lib', 'ProgramData\\Contoso\\cache', 'Data\\Finance', 'Data\\Shared\\Team', 'Users\\Public\\Documents']
const users = 40
const plan = []
for (let u = 0; u < users; u++) for (const d of userDirs) plan.push(`Users\\user${u}\\${d}`)
for (const d of sysDirs) plan.push(d)
let made = 0
const t0 = Date.now()
for (let i = 0; made < total; i++) {
  const dirIndex = i % plan.length
  const sub = Math.floor(i / plan.length) % 25
  const rel = `${plan[dirIndex]}\\b${sub}`
  const dir = path.join(tree, ...rel.split('\\'))
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, `f${i}.${exts[i % exts.length]}`), 'x'.repeat(i % 200))
  made++
}
for (let u = 0; u < users; u++) writeFileSync(path.join(tree, 'Users', `user${u}`, 'NTUSER.DAT'), 'regf')
console.log(`tree: ${made + users} files in ${((Date.now() - t0) / 1000).toFixed(1)} s under ${tree}`)

// ---------------------------------------------------------------- CLI build (temporary)
const cli = path.join(work, 'cli')
mkdirSync(cli)
cpSync(path.join(root, 'package.json'), path.join(cli, 'package.json'))
cpSync(path.join(root, 'bin'), path.join(cli, 'bin'), { recursive: true })
symlinkSync(path.join(root, 'node_modules'), path.join(cli, 'node_modules'))
// Type errors elsewhere in a work-in-progress checkout do not stop tsc from emitting; require the entry point.
spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json'), '--outDir', path.join(cli, 'dist'), '--sourceMap', 'false'], { stdio: 'ignore' })
if (!existsSync(path.join(cli, 'dist', 'commands', 'rules', 'preview.js'))) throw new Error('compiling the CLI failed')

// ---------------------------------------------------------------- measure
function timed(cmd, args, outFile) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', path.join(work, 'time.txt'), cmd, ...args], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 30, env: { ...process.env, USMT_STEPS_QUIET: '1', USMT_STEPS_LOG_DIR: work } })
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}`)
  writeFileSync(outFile, r.stdout)
  const [sec, kb] = execFileSync('cat', [path.join(work, 'time.txt')]).toString().trim().split('\n').pop().split(' ')
  return { seconds: Number(sec), peakMiB: Number(kb) / 1024, bytesOut: r.stdout.length }
}
// Warm the page cache once, then measure both.
spawnSync('find', [tree, '-type', 'f', '-printf', '%s\n'], { stdio: 'ignore' })
const find = timed('find', [tree, '-type', 'f', '-printf', '%s\n'], path.join(work, 'find.out'))
const preview = timed(process.execPath, [path.join(cli, 'bin', 'run.js'), 'rules', 'preview', '--json', '--rules', migUser, '--volume', `C=${tree}`, '--progress', 'none'], path.join(work, 'preview.json'))
const doc = JSON.parse(execFileSync('cat', [path.join(work, 'preview.json')], { maxBuffer: 1 << 30 }).toString())
const result = {
  files: made + users,
  find,
  preview: { ...preview, included: doc.result.totals.files, excluded: doc.result.totals.excluded },
  ratio: Number((preview.seconds / find.seconds).toFixed(2)),
  node: process.version,
  cpus: os.cpus().length,
}
console.log(JSON.stringify(result, null, 2))
if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true })
else console.log(`kept ${work}`)
