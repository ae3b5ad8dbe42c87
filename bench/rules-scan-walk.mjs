#!/usr/bin/env node
// bench/rules-scan-walk: the floor for Node on the rules-scan tree — a bare synchronous walk
// (readdirSync withFileTypes, depth first) that prints one line per file like `find -printf '%s\n'`.
//   node bench/rules-scan-walk.mjs DIR            readdir + statSync of every file, prints the size
//   node bench/rules-scan-walk.mjs DIR --no-stat  readdir only, prints the name length (no stat at all)
// Output is buffered in 64 KiB chunks, as the rule engine's own JSON writer does.
import { readdirSync, statSync, writeSync } from 'node:fs'
import path from 'node:path'

const root = process.argv[2]
if (!root) throw new Error('usage: rules-scan-walk.mjs DIR [--no-stat]')
const doStat = !process.argv.includes('--no-stat')
let out = ''
const flush = () => {
  if (out) writeSync(1, out)
  out = ''
}
const stack = [root]
while (stack.length) {
  const dir = stack.pop()
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) stack.push(path.join(dir, e.name))
    else if (e.isFile()) {
      out += `${doStat ? statSync(path.join(dir, e.name)).size : e.name.length}\n`
      if (out.length >= 65536) flush()
    }
  }
}
flush()
