/**
 * Job data (x, y, sample_weight in any of the spec's array forms) as rows in a model's input and
 * output order. Inline and random arrays are made in memory here; dataset arrays are opened
 * beforehand (async, see datasets/npy-rows.ts) and handed in, to be read batch by batch.
 */
import { bindData, bindSampleWeight, isDatasetArray, materialize, type DType } from '../spec/arrays.ts';
import type { ArrayLike, Data, DatasetArray } from '../spec/schema.ts';
import { HostRows, castRows, type ArrayRows, type DataRows } from './data-source.ts';
import type { KerasModel } from './model.ts';

export class DataBinder {
  constructor(private readonly model: KerasModel, private readonly opened?: ReadonlyMap<DatasetArray, ArrayRows>) {}

  private rows(a: ArrayLike, at: string): ArrayRows {
    if (!isDatasetArray(a)) return new HostRows(materialize(a, at));
    const rows = this.opened?.get(a);
    if (!rows) throw new Error(`${at}: dataset array ${a.dataset}/${a.array} was not opened`);
    return rows;
  }

  private bind(data: Data, names: string[], at: string, dtype?: (i: number) => DType, bind = bindData): ArrayRows[] {
    return bind(data, names, at, (a, p, name) => {
      const rows = this.rows(a, p);
      return dtype ? castRows(rows, dtype(names.indexOf(name))) : rows;
    });
  }

  /** x cast to each input's dtype (float32 unless the input says int32). */
  inputs(x: Data, at: string): ArrayRows[] {
    return this.bind(x, this.model.inputNames, at, (i) => this.model.graph.inputs[i].dtype ?? 'float32');
  }

  dataset(x: Data, y: Data, sampleWeight: Data | undefined, at: string): DataRows {
    return {
      x: this.inputs(x, `${at}/x`),
      y: this.bind(y, this.model.outputNames, `${at}/y`),
      sampleWeight: sampleWeight ? this.bind(sampleWeight, this.model.outputNames, `${at}/sample_weight`, () => 'float32', bindSampleWeight) : undefined,
    };
  }
}
