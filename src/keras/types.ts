/**
 * Keras interchange (Keras 3 `.keras` archives, legacy `.h5`, `model.to_json()`): the shapes the
 * translation and file modules share. Pure data: nothing here knows tfjs, HTTP or Redis.
 */

/** One weight array as Keras's get_weights() gives it: float32, C order. */
export interface KerasArray {
  shape: number[];
  data: Float32Array;
}

/** Weights per top-level layer name, each list in Keras get_weights() order. */
export type KerasWeights = Record<string, KerasArray[]>;

/** What a `.keras` archive (or a legacy `.h5` file) holds, parsed. */
export interface KerasArchive {
  /** config.json: {module, class_name, config, registered_name, build_config?, compile_config?}. */
  config: Record<string, unknown>;
  /** metadata.json: {keras_version, date_saved, ...} (synthesized for legacy .h5). */
  metadata: Record<string, unknown>;
  weights: KerasWeights;
}

/** A Keras construct the service cannot take, named with where it was found. */
export interface KerasIssue {
  /** JSON pointer into the submitted Keras JSON (or archive member), e.g. /config/layers/3/class_name. */
  pointer: string;
  message: string;
}

export class KerasImportError extends Error {
  constructor(readonly issues: KerasIssue[]) {
    super(issues.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; '));
  }
}
