/** USMT's command-line grammar both ways, validation, return codes, log and progress formats. */
export * from './options.js'
export * from './grammar.js'
export * from './validate.js'
export * from './return-codes.js'
export * from './main-log.js'
export * from './progress-log.js'
export * from './estimate.js'
export * from './config-xml.js'
