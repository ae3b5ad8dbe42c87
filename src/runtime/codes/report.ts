import { defineCodes } from './types.js'

/** USM0700–USM0799: The report step. */
export const REPORT_CODES = defineCodes({
  USM0700: { exit: 'io', summary: 'There is nothing to report: the log folder holds no run records of usmt-steps steps.', actions: ['Run the report in the same task sequence after plan, capture or restore, with the same _SMSTSLogPath (or pass --log-dir to the folder that holds usmt-steps-*.json).'] },
  USM0701: { exit: 'config', summary: 'The report does not know which log folder to read.', actions: ['Run it inside the task sequence (_SMSTSLogPath is set there) or pass --log-dir FOLDER.'] },
  USM0702: { exit: 'io', summary: 'The report could not be written.', actions: ['Check that the folder exists, has free space and that the account running the task sequence can write there.'] },
  USM0703: { exit: 'io', summary: 'The folder to index does not exist or cannot be read.', actions: ['Pass the folder that --copy-to wrote reports into (it holds one COMPUTER_TIME folder per report).'] },
})
