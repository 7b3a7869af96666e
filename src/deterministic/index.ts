/** The deterministic room (rank 5): one good deterministic packed network from an EBP posterior (issue 11). */
export {
  determinise, type DeterminiseOptions, type DeterminiseReport, type DeterminiseResult, type DeterminiseEpoch, type UpperStart, type FixMethod,
} from './determinise';
