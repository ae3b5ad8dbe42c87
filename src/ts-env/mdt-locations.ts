/** Where MDT keeps VARIABLES.DAT during a task sequence (full OS, then Windows PE). */
export const MDT_VARIABLES_DAT_LOCATIONS = ['%SystemDrive%\\MININT\\SMSOSD\\OSDLOGS\\VARIABLES.DAT', 'X:\\MININT\\SMSOSD\\OSDLOGS\\VARIABLES.DAT']
