import { UsmtStepsError } from '../runtime/errors.js'
import type { Scenario } from './scenarios.js'
import { STORE_TYPE_VARIABLE } from './variables.js'

/**
 * CustomSettings.ini lines for MDT: the documented user-state properties (UserDataLocation in upper case,
 * UDShare/UDDir, USMTMigFiles, SkipUserData) arranged so that the first value found wins per deployment
 * type (Priority=DeploymentType, Default), plus the custom properties the usmt-steps steps read, declared
 * in Properties= so that the gather step turns them into task-sequence variables.
 */
export interface CustomSettingsOptions {
  scenario: Scenario
  /** UNC share for network stores (UDShare). */
  udShare?: string
  migFiles?: string[]
}

export const DEFAULT_MIG_FILES = ['MigApp.xml', 'MigDocs.xml']

export function customSettingsLines(o: CustomSettingsOptions): string {
  if (o.udShare !== undefined && !/^\\\\[^\\]+\\[^\\]+/.test(o.udShare)) {
    throw new UsmtStepsError('USM0602', `--ud-share must be a UNC path like \\\\SERVER\\MigData$ (got "${o.udShare}")`)
  }
  const share = o.udShare ?? '\\\\SERVER\\MigData$'
  const files = o.migFiles && o.migFiles.length > 0 ? o.migFiles : DEFAULT_MIG_FILES
  const lines = [
    '; usmt-steps: user-state rules (merge into your CustomSettings.ini; keep your other keys).',
    '; The first value found wins, so the DeploymentType sections come before [Default] in Priority.',
    '[Settings]',
    'Priority=DeploymentType, Default',
    `Properties=USMTStepsEncryptionKey, ${STORE_TYPE_VARIABLE}`,
    '',
    '[Default]',
    '; AUTO: a local hard-link store when the machine allows it, else the share below (decided by usmt-steps plan).',
    'UserDataLocation=AUTO',
    `UDShare=${share}`,
    'UDDir=%OSDComputerName%',
    ...files.map((f, i) => `USMTMigFiles${String(i + 1).padStart(3, '0')}=${f}`),
    '; The usmt-steps groups replace the wizard pane and ZTIUserState.',
    'SkipUserData=YES',
    '; Network stores are encrypted: set USMTStepsEncryptionKey as a secret (task-sequence variable or a',
    '; UserExit/database lookup); never write the key into this file.',
    '',
    '[REFRESH]',
    'UserDataLocation=AUTO',
    '',
    '[REPLACE]',
    '; A replace always needs the network store; never a silent local store.',
    'UserDataLocation=NETWORK',
    '',
    '[NEWCOMPUTER]',
    'UserDataLocation=NONE',
  ]
  return `${lines.join('\r\n')}\r\n`
}

/** Where each generated MDT group goes in a Standard Client (or Client Replace) task sequence. */
export function mdtPlacement(scenario: Scenario): string[] {
  const capture = 'Paste "usmt-steps: State Capture" into the "State Capture" group (PHASE equals STATECAPTURE) and disable MDT\'s "Capture User State" and "Offline User State Capture" steps.'
  const restore = 'Paste "usmt-steps: State Restore" into the "State Restore" group (PHASE equals STATERESTORE) and disable MDT\'s "Restore User State" step.'
  switch (scenario) {
    case 'refresh': return [capture, restore]
    case 'replace-source': return [capture.replace('a Standard Client', 'the Standard Client Replace')]
    case 'replace-destination': return [restore]
  }
}
