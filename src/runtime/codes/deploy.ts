import { defineCodes } from './types.js'

/** USM0600–USM0699: Templates, PowerShell module and packaging. */
export const DEPLOY_CODES = defineCodes({
  USM0600: { exit: 'io', summary: 'The task-step definitions were not found.', actions: ['Reinstall usmt-steps or point USMT_STEPS_TASK_STEPS_DIR at the package\'s task-steps folder.'] },
  USM0601: { exit: 'config', summary: 'A task-step definition is invalid.', actions: ['Fix the task-steps/*.json file named in the message (or reinstall the package).'] },
  USM0602: { exit: 'usage', summary: 'Unknown scenario, step or step parameter.', actions: ['Run usmt-steps template steps to list the steps and their parameters.'] },
  USM0603: { exit: 'config', summary: 'The task-sequence XML could not be read.', actions: ['Pass the sequence XML (<sequence version="3.10">) or an MDT ts.xml; a console export zip must be unzipped and its object.xml passed.'] },
  USM0604: { exit: 'config', summary: 'The task sequence is not wired consistently.', actions: ['Fix each problem listed (or regenerate the groups with usmt-steps template configmgr / template mdt).'] },
  USM0605: { exit: 'io', summary: 'The template file could not be written.', actions: ['Check that the folder of --out exists and is writable.'] },
  USM0606: { exit: 'config', summary: 'A step of the task sequence cannot run on this machine.', actions: ['Steps other than usmt-steps command lines, Set Task Sequence Variable and "cmd.exe /c exit N" only run under ConfigMgr/MDT; pass --skip-unrunnable to treat them as succeeded.'] },
  USM0607: { exit: 'config', summary: 'A condition of the task sequence cannot be evaluated on this machine.', actions: ['Only task-sequence variable conditions can be evaluated outside a real task sequence; WMI, file, folder, registry and software conditions cannot.'] },
  USM0608: { exit: 'config', summary: 'A usmt-steps step of a ConfigMgr task sequence names no package.', actions: ['Generate the template with --package-id <ID of the package made from the usmt-steps package folder> (or run the packaged New-UsmtSteps-<scenario>.ps1 -PackageId <ID>); in the console, set that package on every usmt-steps Run Command Line step.'] },
  USM0609: { exit: 'config', summary: 'Capture or restore has no USMT source the task sequence provides.', actions: ['Regenerate with --usmt-package-id <ID of your USMT package> (adds Download Package Content and --usmt-dir "%USMTStepsUsmtPackage01%") or --usmt-in-package (USMT is in the usmt-steps package\'s USMT\\ folder, built with npm run package -- --usmt-dir); or add --usmt-dir to the capture and restore steps.'] },
})
