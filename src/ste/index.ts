export {
  SteTrainer, type SteTrainerConfig, type SteFitOptions, type SteFitAsyncOptions, type SteEpochReport, type SteTrainReport, type StePrediction,
  type SteTrainerState,
} from './trainer';
export { SteNetwork, type SteBackend, type SteLayerParameters, type SteLayerMoments, type SteLayerGradients } from './network';
export { steSign, steSignGradient, clipLatent, steSignQuantizer, STE_CLIP_VALUE, type SteQuantizer } from './quantizer';
export { foldNeuron, firesFolded, firesAffine, type SignLayer, type SignNetwork } from './fold';
export { lossAndGradient, type SteLoss } from './loss';
export { adamCoefficients, adamStep, ADAM_DEFAULTS, type AdamSettings, type AdamCoefficients } from './adam';
export { bnForwardTrain, bnBackward, bnUpdateRunning, bnInferenceAffine } from './batchnorm';
