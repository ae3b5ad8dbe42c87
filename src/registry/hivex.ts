/**
 * The offline-hive adapter: reads and writes registry hive files (NTUSER.DAT, UsrClass.dat, SOFTWARE,
 * SYSTEM) through hivex, the libguestfs project's offline registry library (Debian `libhivex-bin` and
 * `libwin-hivex-perl`). One hivex process per operation (a read takes every hive it needs at once), never one per
 * hive, key or value:
 *
 * - read: one `perl` process running hivexregedit's own export (`Win::Hivex::Regedit::reg_export_node`) over
 *   every requested subtree of every hive asked for at once (`readHives`), in hex (lossless); a missing subtree
 *   is simply absent;
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

// Reads several hives in one process (a perl start with Win::Hivex costs ~50 ms, a profile has one or two hives and
// a machine dozens of profiles): the hive files are the arguments, the wanted subtrees come on stdin as
// `<hive index>\t<key>` lines. Each hive's export is framed by `;@@usmt-steps hive N` / `;@@usmt-steps end N`
// lines (a `;` line is a comment in regedit text and never part of an export); a hive hivex cannot open or read
// ends with `;@@usmt-steps error N <message>` instead, and the other hives are still read.
const EXPORT_SCRIPT = String.raw`
use strict; use warnings;
use Win::Hivex; use Win::Hivex::Regedit;
binmode STDOUT;
my @want = map { [] } @ARGV;
while (my $l = <STDIN>) { chomp $l; my ($i, $k) = split /\t/, $l, 2; push @{$want[$i]}, $k; }
for my $i (0 .. $#ARGV) {
  print ";\@\@usmt-steps hive $i\n";
  my $ok = eval {
    my $h = Win::Hivex->open($ARGV[$i]);
    for my $k (@{$want[$i]}) {
      my $n = $h->root();
      for my $p (grep { length } split /\\/, $k) { $n = $h->node_get_child($n, $p); last unless defined $n; }
      next unless defined $n;
      Win::Hivex::Regedit::reg_export_node($h, $n, \*STDOUT, 0);
    }
    1;
  };
  if ($ok) { print "\n;\@\@usmt-steps end $i\n"; }
  else { my $e = $@ || 'unknown error'; $e =~ s/\s+/ /g; print "\n;\@\@usmt-steps error $i $e\n"; }
}
`

let readProbe: string | null | undefined
let writeProbe: string | null | undefined
const ON_WINDOWS = 'the offline registry tools (hivex) do not run on Windows'

/**
 * Why offline hives cannot be read here (perl with Win::Hivex), or null when they can. Probed once per process.
 * Reading needs no `hivexregedit` (whose `--help` alone costs a Perl start with its POD modules, 0.2–0.35 s): the
 * rule engine asks this one. On Windows the tools never exist: the portable engine then reports registry rules as
 * not evaluated instead of failing.
 */
export function hiveReadToolsMissing(): string | null {
  if (readProbe !== undefined) return readProbe
  if (process.platform === 'win32') return (readProbe = ON_WINDOWS)
  const perl = spawnSync('perl', ['-MWin::Hivex', '-MWin::Hivex::Regedit', '-e', '1'], { encoding: 'utf8' })
  if (perl.error) readProbe = 'the offline registry tools are not installed (perl: not found on PATH)'
  else if (perl.status !== 0) readProbe = 'the offline registry tools are not installed (perl Win::Hivex: libwin-hivex-perl is missing)'
  else readProbe = null
  return readProbe
}

/**
 * Why the offline registry tools cannot both read and write hives here (perl with Win::Hivex, and hivexregedit for
 * writes), or null when they can. Probed once per process: loadstate then reports registry values as not applied
 * instead of failing.
 */
export function hiveToolsMissing(): string | null {
  const read = hiveReadToolsMissing()
  if (read !== null) return read
  if (writeProbe !== undefined) return writeProbe
  const merge = spawnSync('hivexregedit', ['--help'], { encoding: 'utf8' })
  writeProbe = merge.error ? 'the offline registry tools are not installed (hivexregedit: not found on PATH)' : null
  return writeProbe
}

/** Tests only: forget what the probes found (so a test can watch them run). */
export function resetHiveToolsProbes(): void {
  readProbe = undefined
  writeProbe = undefined
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
  return readHives([{ file, keys }])[0]
}

/**
 * `readHive` for several hives in one hivex process (the result per request, in order). A hive that cannot
 * be read fails the whole call with the error of the first such hive in request order, as reading them one by
 * one would.
 */
export function readHives(requests: ReadonlyArray<{ file: string; keys: readonly string[] }>): RegKeyRecord[][] {
  const wanted = requests.map((r) => {
    checkReadable(r.file, false)
    return collapse(r.keys)
  })
  const active = requests.map((_, i) => i).filter((i) => wanted[i].length > 0)
  const out: RegKeyRecord[][] = requests.map(() => [])
  if (active.length === 0) return out
  const input = active.map((i, n) => wanted[i].map((k) => `${n}\t${k}\n`).join('')).join('')
  const r = spawnSync('perl', ['-e', EXPORT_SCRIPT, ...active.map((i) => requests[i].file)], { input, maxBuffer: 1 << 30, encoding: 'utf8' })
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw toolMissing('perl', 'not found on PATH')
    throw r.error
  }
  const parts = splitExport(r.stdout)
  for (let n = 0; n < active.length; n++) {
    const file = requests[active[n]].file
    const part = parts.get(n)
    if (part === undefined || part.error !== undefined) {
      const why = part?.error ?? r.stderr
      throw hiveOpenFailure(file, why, false)
        ?? new UsmtStepsError('USM0116', `the registry hive ${file} could not be read: ${firstLine(why) || `hivex exited with ${r.status ?? r.signal}`}`, { data: { file } })
    }
    try {
      out[active[n]] = parseRegText(part.text)
    } catch (err) {
      throw new UsmtStepsError('USM0116', `the registry hive ${file} could not be read: ${(err as Error).message}`, { data: { file }, cause: err })
    }
  }
  return out
}

const FRAME = /^;@@usmt-steps (hive|end|error) (\d+)(?: (.*))?$/gm

/** The framed export of readHives: per hive index, its regedit text, or its error; a hive without an end is absent. */
function splitExport(stdout: string): Map<number, { text: string; error?: string }> {
  const parts = new Map<number, { text: string; error?: string }>()
  let open: { n: number; from: number } | null = null
  for (const m of stdout.matchAll(FRAME)) {
    const n = Number(m[2])
    if (m[1] === 'hive') open = { n, from: (m.index as number) + m[0].length + 1 }
    else if (open && open.n === n) {
      const text = stdout.slice(open.from, m.index)
      parts.set(n, m[1] === 'end' ? { text } : { text, error: m[3] ?? 'unknown error' })
      open = null
    }
  }
  return parts
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
