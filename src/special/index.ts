/**
 * Hand-written float64 special functions (error function family and standard normal helpers)
 * for the EBP trainer. Methods and measured accuracy: docs/numerics.md.
 */
export { erf, erfc, erfcx } from './erf';
export { normPdf, normCdf, logNormCdf, normPdfOverCdf } from './normal';
