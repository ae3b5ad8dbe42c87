/** Files the rule engine reads besides migration XML: the Windows attributes of paths on a Linux volume. */
import { classicLetters, readAttributeBits } from '../windows/file-attributes.js'

export function readAttributesFile(path: string): Map<string, string> {
  // Letters R H S A for the rules (hidden+system files); the cloud attributes (O P U, RecallOnDataAccess …)
  // are read by the capture's cloud-file check and the portable scanstate.
  const map = new Map<string, string>()
  for (const [k, v] of readAttributeBits(path)) map.set(k, classicLetters(v.bits))
  return map
}
