/**
 * Job data (x, y, sample_weight in any of the spec's array forms) as tensors in a model's input
 * and output order. Dataset arrays are read from disk beforehand (async) and handed in.
 */
import type * as tf from '@tensorflow/tfjs';
import { bindData, bindSampleWeight, materialize, type HostArray } from '../spec/arrays.ts';
import type { Data, DatasetArray } from '../spec/schema.ts';
import type { KerasModel } from './model.ts';
import { toTensor } from './tensors.ts';
import type { Dataset } from './trainer.ts';

export class DataBinder {
  constructor(private readonly model: KerasModel, private readonly loaded?: Map<DatasetArray, HostArray>) {}

  private bind(data: Data, names: string[], at: string, dtype?: (name: string, i: number) => 'float32' | 'int32', bind = bindData): tf.Tensor[] {
    return bind(data, names, at, (a, p, name) => toTensor(materialize(a, p, this.loaded), dtype?.(name, names.indexOf(name))));
  }

  /** x cast to each input's dtype (float32 unless the input says int32). */
  inputs(x: Data, at: string): tf.Tensor[] {
    return this.bind(x, this.model.inputNames, at, (_n, i) => this.model.graph.inputs[i].dtype ?? 'float32');
  }

  dataset(x: Data, y: Data, sampleWeight: Data | undefined, at: string): Dataset {
    return {
      x: this.inputs(x, `${at}/x`),
      y: this.bind(y, this.model.outputNames, `${at}/y`),
      sampleWeight: sampleWeight ? this.bind(sampleWeight, this.model.outputNames, `${at}/sample_weight`, () => 'float32', bindSampleWeight) : undefined,
    };
  }
}
