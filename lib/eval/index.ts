export type { EvalResult } from './evaluate';
export { GENERATED_CHARS, extractAnswer, predictBirthplaces, scorePredictions, writePredictions } from './evaluate';
export { LONDON, londonBaseline } from './london';
