/**
 * The offline-hive adapter: reads and writes registry hive files (NTUSER.DAT, UsrClass.dat, SOFTWARE,
 * SYSTEM) through hivex, the libguestfs project's offline registry library (Debian `libhivex-bin` and
 * `libwin-hivex-perl`). One hivex process per hive per operation, never one per key or value:
 *
 * - read: one `perl` process running hivexregedit's own export (`Win::Hivex::Regedit::reg_export_node`) over
 *   every requested subtree, in hex (lossless); a missing subtree is simply absent;
 * - write: one `hivexregedit --merge` with all the keys and values for that hive on standard input (hivex
 *   commits the hive once, at the end; a failed merge leaves the file as it was);
 * - create: an empty hive from `blank-hive.ts` (hivex cannot create one).
 *
 * A hive hivex cannot open (corrupt, truncated, not a hive) is USM0116 naming the file; a hive locked by a
 * running Windows (a sharing violation on open) is USM0117; missing tools USM0118.
 */
import { spawnSync } from 'node:child_process'
import { closeSync, openSync, writeFileSync } from 'node:fs'
import { UsmtStepsError } from '../runtime/errors.js'
import { blankHive } from './blank-hive.js'
import { formatRegMerge, parseRegText, type RegKeyRecord, type RegMergeKey } from './reg-text.js'

const EXPORT_SCRIPT = String.raw`
use strict; use warnings;
use Win::Hivex; use Win::Hivex::Regedit;
binmode STDOUT;
my $h = Win::Hivex->open($ARGV[0]);
while (my $k = <STDIN>) {
  chomp $k;
  my $n = $h->root();
  for my $p (grep { length } split /\\/, $k) { $n = $h->node_get_child($n, $p); last unless defined $n; }
  next unless defined $n;
  Win::Hivex::Regedit::reg_export_node($h, $n, \*STDOUT, 0);
}
`

let toolsProbe: string | null | undefined

/**
 * Why the offline registry tools cannot run here, or null when they can. Probed once per process (perl with
 * Win::Hivex for reads, hivexregedit for writes). On Windows they never exist: the portable engine then reports
 * registry rules as not evaluated and loadstate reports registry values as not applied, instead of failing.
 */
export function hiveToolsMissing(): string | null {
  if (toolsProbe !== undefined) return toolsProbe
  if (process.platform === 'win32') {
    toolsProbe = 'the offline registry tools (hivex) do not run on Windows'
    return toolsProbe
  }
  const perl = spawnSync('perl', ['-MWin::Hivex', '-MWin::Hivex::Regedit', '-e', '1'], { encoding: 'utf8' })
  const merge = perl.error || perl.status !== 0 ? null : spawnSync('hivexregedit', ['--help'], { encoding: 'utf8' })
  if (perl.error) toolsProbe = 'the offline registry tools are not installed (perl: not found on PATH)'
  else if (perl.status !== 0) toolsProbe = 'the offline registry tools are not installed (perl Win::Hivex: libwin-hivex-perl is missing)'
  else if (merge?.error) toolsProbe = 'the offline registry tools are not installed (hivexregedit: not found on PATH)'
  else toolsProbe = null
  return toolsProbe
}

function toolMissing(tool: string, detail: string): UsmtStepsError {
  return new UsmtStepsError('USM0118', `the offline registry tools are not installed (${tool}: ${detail})`, { data: { tool } })
}

/** Open the file once before hivex does: a hive Windows has loaded fails here with a sharing violation. */
function checkReadable(file: string, write: boolean): void {
  let fd: number
  try {
    fd = openSync(file, write ? 'r+' : 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EBUSY' || (process.platform === 'win32' && (code === 'EPERM' || code === 'EACCES'))) {
      throw new UsmtStepsError('USM0117', `the registry hive ${file} is in use (locked by Windows): ${code}`, { data: { file }, cause: err })
    }
    throw err
  }
  closeSync(fd)
}

function hiveOpenFailure(file: string, stderr: string, write: boolean): UsmtStepsError | null {
  if (/hivex_open/.test(stderr)) {
    return new UsmtStepsError('USM0116', `the registry hive ${file} is corrupt or truncated: hivex cannot open it (${firstLine(stderr)})`, { data: { file } })
  }
  if (/Can't locate Win\/Hivex/.test(stderr)) return toolMissing(write ? 'hivexregedit' : 'perl Win::Hivex', 'libwin-hivex-perl is missing')
  return null
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0].replace(/ at \/\S+ line \d+\.?$/, '').slice(0, 300)
}

/**
 * Read the subtrees `keys` (paths inside the hive: `\Software\Contoso`, `\` for everything) of one hive.
 * Returns the keys found with their values; key paths are inside the hive (`\Software\Contoso\Toolbar`).
 */
export function readHive(file: string, keys: readonly string[]): RegKeyRecord[] {
  checkReadable(file, false)
  const wanted = collapse(keys)
  if (wanted.length === 0) return []
  const r = spawnSync('perl', ['-e', EXPORT_SCRIPT, file], { input: `${wanted.join('\n')}\n`, maxBuffer: 1 << 30, encoding: 'utf8' })
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw toolMissing('perl', 'not found on PATH')
    throw r.error
  }
  if (r.status !== 0) {
    throw hiveOpenFailure(file, r.stderr, false)
      ?? new UsmtStepsError('USM0116', `the registry hive ${file} could not be read: ${firstLine(r.stderr)}`, { data: { file } })
  }
  try {
    return parseRegText(r.stdout)
  } catch (err) {
    throw new UsmtStepsError('USM0116', `the registry hive ${file} could not be read: ${(err as Error).message}`, { data: { file }, cause: err })
  }
}

/** Write keys and values into one hive in a single `hivexregedit --merge` (key paths inside the hive, parents first). */
export function mergeHive(file: string, keys: readonly RegMergeKey[]): void {
  if (keys.length === 0) return
  checkReadable(file, true)
  const r = spawnSync('hivexregedit', ['--merge', file], { input: formatRegMerge(keys), maxBuffer: 1 << 26, encoding: 'utf8' })
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw toolMissing('hivexregedit', 'not found on PATH')
    throw r.error
  }
  if (r.status !== 0) {
    throw hiveOpenFailure(file, r.stderr, true)
      ?? new UsmtStepsError('USM0119', `registry values could not be written into ${file}: ${firstLine(r.stderr)}`, { data: { file } })
  }
}

/** Create an empty hive file (fails when the file exists). */
export function createHive(file: string, rootName = 'ROOT'): void {
  writeFileSync(file, blankHive(rootName), { flag: 'wx' })
}

/** Drop keys below another requested key; `\` (or '') swallows everything. */
export function collapse(keys: readonly string[]): string[] {
  const norm = [...new Set(keys.map((k) => `\\${k.replace(/^\\+|\\+$/g, '')}`.toLowerCase() === '\\' ? '\\' : `\\${k.replace(/^\\+|\\+$/g, '')}`))]
  norm.sort((a, b) => a.length - b.length)
  const out: string[] = []
  for (const k of norm) {
    const lower = k.toLowerCase()
    if (out.some((o) => o === '\\' || lower === o.toLowerCase() || lower.startsWith(`${o.toLowerCase()}\\`))) continue
    out.push(k)
  }
  return out
}
