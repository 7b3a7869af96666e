/** The deterministic room (rank 5): one good deterministic packed network from an EBP posterior (issue 11). */
export { determinise } from './determinise';
export type {
  DeterminiseOptions, DeterminiseReport, DeterminiseResult, DeterminiseEpoch, DeterminiseMethod, UpperStart, FixMethod, DeterministicLayer,
} from './options';
