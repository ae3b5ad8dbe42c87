import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { UsmtStepsError } from '../runtime/errors.js'
import { configMgrScript } from './cm-powershell.js'
import { customSettingsLines, mdtPlacement } from './mdt.js'
import { buildSequence, SCENARIO_DESCRIPTIONS, type Scenario, type TemplateOptions } from './scenarios.js'
import { parseSequence, serializeSequence, type TsSequence } from './sequence.js'
import { loadTaskSteps, type TaskStepDef, type TemplateOption } from './task-steps.js'
import { validateSequence, type ValidationReport } from './validate.js'

/** The template services behind `usmt-steps template …` (commands stay thin). */
export function stepDefinitions(dir?: string): TaskStepDef[] {
  return loadTaskSteps(dir)
}

export interface GenerateInput {
  scenario: Scenario
  packageId?: string
  launcher?: string
  options: Partial<Record<TemplateOption, string>>
  taskStepsDir?: string
}

export type ConfigMgrFormat = 'xml' | 'powershell' | 'json'

export function generateConfigMgr(input: GenerateInput, format: ConfigMgrFormat): { sequence: TsSequence; content: string } {
  const defs = loadTaskSteps(input.taskStepsDir)
  const opts: TemplateOptions = { scenario: input.scenario, flavour: 'configmgr', packageId: input.packageId, launcher: input.launcher, options: input.options }
  const sequence = buildSequence(defs, opts)
  const name = `usmt-steps ${input.scenario}`
  const generatedBy = `usmt-steps template configmgr --scenario ${input.scenario}${input.packageId ? ` --package-id ${input.packageId}` : ''}`
  switch (format) {
    case 'xml': return { sequence, content: serializeSequence(sequence) }
    case 'json': return { sequence, content: `${JSON.stringify(sequence, null, 2)}\n` }
    case 'powershell': return { sequence, content: configMgrScript(sequence, { name, description: SCENARIO_DESCRIPTIONS[input.scenario], generatedBy }) }
  }
}

export function generateMdt(input: GenerateInput & { udShare?: string }): { sequence: TsSequence; tsXml: string; customSettings: string; placement: string[] } {
  const defs = loadTaskSteps(input.taskStepsDir)
  const sequence = buildSequence(defs, { scenario: input.scenario, flavour: 'mdt', launcher: input.launcher, options: input.options })
  const placement = mdtPlacement(input.scenario)
  const comment = ['<!--', ' usmt-steps groups for an MDT ts.xml (Control\\<TaskSequenceID>\\ts.xml).', ...placement.map((p) => ` ${p.replace(/--/g, '- -')}`), '-->'].join('\n')
  const xml = serializeSequence(sequence)
  return { sequence, tsXml: `<?xml version="1.0"?>\n${comment}\n${xml}`, customSettings: customSettingsLines({ scenario: input.scenario, udShare: input.udShare }), placement }
}

export function validateFile(file: string, taskStepsDir?: string): ValidationReport {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsmtStepsError('USM0603', `cannot read ${file}: ${(err as Error).message}`, { cause: err, data: { file } })
  }
  return validateSequence(parseSequence(text, file), loadTaskSteps(taskStepsDir))
}

/** Write a generated file (UTF-8 with BOM for .ps1: Windows PowerShell 5.1 reads BOM-less files as ANSI). */
export function writeOutput(file: string, content: string): string {
  const abs = nodePath.resolve(file)
  try {
    mkdirSync(nodePath.dirname(abs), { recursive: true })
    writeFileSync(abs, abs.toLowerCase().endsWith('.ps1') ? `\uFEFF${content}` : content, 'utf8')
  } catch (err) {
    throw new UsmtStepsError('USM0605', `cannot write ${abs}: ${(err as Error).message}`, { cause: err, data: { file: abs } })
  }
  return abs
}
