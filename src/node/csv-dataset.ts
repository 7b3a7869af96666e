import * as path from 'path';
import type { Delimiter } from '../data/csv-cells';
import { makeDataset, type Dataset } from '../data/dataset';
import { encodedFeatureNames, featureWidth, RowEncoder, type PreprocessSpec } from '../data/preprocess';
import { matrix } from '../tensor/matrix';
import { streamCsv, type CsvSource } from './csv-stream';

/**
 * A labelled CSV file encoded by a fitted spec, as `eval` reads it (RowEncoder): columns matched to the model's
 * by name, extra columns ignored, missing cells filled as in training, labels required. `ebp train --test`.
 */
export async function readEncodedCsv(spec: PreprocessSpec, file: CsvSource, shown: string, delimiter: Delimiter | undefined): Promise<{ ds: Dataset; unknown: number }> {
  const width = featureWidth(spec);
  let encoder: RowEncoder | null = null;
  let X = new Float64Array(256 * width);
  let labels = new Int32Array(256);
  let n = 0;
  await streamCsv(file, { delimiter, displayName: shown }, {
    header: (names) => {
      encoder = new RowEncoder(spec, names, { file: shown, requireLabel: true, training: true });
    },
    row: (cells, line) => {
      if (n === labels.length) {
        const X2 = new Float64Array(2 * X.length);
        X2.set(X);
        X = X2;
        const L2 = new Int32Array(2 * labels.length);
        L2.set(labels);
        labels = L2;
      }
      labels[n] = encoder!.encode(cells, line, X, n * width);
      n++;
    },
  });
  const ds = makeDataset({
    X: matrix(X.slice(0, n * width), n, width),
    labels: labels.slice(0, n),
    numClasses: spec.label.classes.length,
    classNames: spec.label.classes,
    featureNames: encodedFeatureNames(spec),
    name: path.basename(shown),
  });
  return { ds, unknown: encoder ? (encoder as RowEncoder).unknownCategories : 0 };
}
