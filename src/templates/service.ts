import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as nodePath from 'node:path'
import { readPolicyFile as readSelectionPolicy } from '../directory/users-step.js'
import { loadPolicy } from '../plan/policy.js'
import { UsmtStepsError } from '../runtime/errors.js'
import { configMgrScript } from './cm-powershell.js'
import { customSettingsLines, mdtPlacement } from './mdt.js'
import { buildSequence, SCENARIO_DESCRIPTIONS, type Scenario, type TemplateOptions } from './scenarios.js'
import { parseSequence, serializeSequence, type TsSequence } from './sequence.js'
import { loadTaskSteps, type TaskStepDef, type TemplateOption } from './task-steps.js'
import { validateSequence, type ValidateOptions, type ValidationReport } from './validate.js'

/** The template services behind `usmt-steps template …` (commands stay thin). */
export function stepDefinitions(dir?: string): TaskStepDef[] {
  return loadTaskSteps(dir)
}

export interface GenerateInput {
  scenario: Scenario
  packageId?: string
  usmtPackageId?: string
  usmtInPackage?: boolean
  launcher?: string
  options: Partial<Record<TemplateOption, string>>
  taskStepsDir?: string
}

export type ConfigMgrFormat = 'xml' | 'powershell' | 'json'

/** Stand-ins for package IDs a PowerShell template takes as parameters (-PackageId, -UsmtPackageId). */
const PS_PACKAGE_SENTINEL = 'UST0000A'
const PS_USMT_SENTINEL = 'UST0000B'

export function generateConfigMgr(input: GenerateInput, format: ConfigMgrFormat): { sequence: TsSequence; content: string } {
  const defs = loadTaskSteps(input.taskStepsDir)
  const name = `usmt-steps ${input.scenario}`
  if (format === 'powershell') {
    // The script takes the package IDs as parameters: mandatory when not given here, defaulting to them otherwise.
    const usmtParam = input.usmtPackageId !== undefined || (!input.usmtInPackage && !input.options.usmtDir)
    const packageId = input.packageId ?? PS_PACKAGE_SENTINEL
    const usmtPackageId = usmtParam ? (input.usmtPackageId ?? PS_USMT_SENTINEL) : undefined
    const sequence = buildSequence(defs, { scenario: input.scenario, flavour: 'configmgr', packageId, usmtPackageId, usmtInPackage: input.usmtInPackage, launcher: input.launcher, options: input.options })
    const generatedBy = `usmt-steps template configmgr --scenario ${input.scenario} --format powershell${input.packageId ? ` --package-id ${input.packageId}` : ''}${input.usmtPackageId ? ` --usmt-package-id ${input.usmtPackageId}` : ''}${input.usmtInPackage ? ' --usmt-in-package' : ''}`
    const content = configMgrScript(sequence, {
      name, description: SCENARIO_DESCRIPTIONS[input.scenario], generatedBy,
      packageParam: { id: packageId, default: input.packageId },
      usmtPackageParam: usmtPackageId ? { id: usmtPackageId, default: input.usmtPackageId } : undefined,
    })
    return { sequence, content }
  }
  const opts: TemplateOptions = { scenario: input.scenario, flavour: 'configmgr', packageId: input.packageId, usmtPackageId: input.usmtPackageId, usmtInPackage: input.usmtInPackage, launcher: input.launcher, options: input.options }
  const sequence = buildSequence(defs, opts)
  if (!input.usmtPackageId && !input.usmtInPackage && !input.options.usmtDir) {
    throw new UsmtStepsError('USM0609', 'a ConfigMgr template needs a USMT source: add --usmt-package-id <ID of your USMT package> (Download Package Content) or --usmt-in-package (USMT\\ in the usmt-steps package)')
  }
  switch (format) {
    case 'xml': return { sequence, content: serializeSequence(sequence) }
    case 'json': return { sequence, content: `${JSON.stringify(sequence, null, 2)}\n` }
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

/**
 * Check a policy file a step names against that step (users: the users: section; plan and store: stores:).
 * Relative names are looked up in `dirs` (the usmt-steps package folder: the steps run there); undefined when
 * the file is not found.
 */
export function policyChecker(dirs: readonly string[]): NonNullable<ValidateOptions['checkPolicy']> {
  return (file, section) => {
    const rel = file.replace(/\\/g, '/')
    const candidates = nodePath.isAbsolute(rel) ? [rel] : dirs.map((d) => nodePath.resolve(d, rel))
    const found = candidates.find((c) => existsSync(c))
    if (!found) return undefined
    try {
      if (section === 'users') readSelectionPolicy(found)
      else loadPolicy(found)
      return {}
    } catch (err) {
      if (err instanceof UsmtStepsError) return { problem: { code: err.code, message: err.message } }
      throw err
    }
  }
}

export function validateFile(file: string, taskStepsDir?: string, packageDirs?: readonly string[]): ValidationReport {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsmtStepsError('USM0603', `cannot read ${file}: ${(err as Error).message}`, { cause: err, data: { file } })
  }
  const dirs = packageDirs && packageDirs.length > 0 ? packageDirs : [nodePath.dirname(nodePath.resolve(file)), process.cwd()]
  return validateSequence(parseSequence(text, file), loadTaskSteps(taskStepsDir), { checkPolicy: policyChecker(dirs) })
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
