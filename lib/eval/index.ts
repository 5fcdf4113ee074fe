export type { EvalResult } from './evaluate';
export { GENERATED_CHARS, extractAnswer, predictBirthplaces, scorePredictions } from './evaluate';
export { writePredictions } from './predictions_file';
export { LONDON, londonBaseline } from './london';
export type { AnswerProfile } from './answers';
export { answerProfile, chanceOfDoingAsWell } from './answers';
export type { RecallItem, RecallResult, RecallSet, StoredAndRetrieved } from './recall';
export { personOf, recallItems, recallProbe, storedAndRetrieved, visibleChars } from './recall';
