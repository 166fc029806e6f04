/**
 * Request-body examples for the OpenAPI document, by operationId: the Keras tutorial's calls, from
 * the job specs in examples/ (the same files the example runner and its test submit).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

type Example = { summary: string; value: unknown };

const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

function tutorialJobs(): Record<string, Example> {
  const files = fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort();
  return Object.fromEntries(
    files.map((f) => {
      const name = f.replace(/\.json$/, '');
      const [section, ...words] = name.split('-');
      return [name.replace(/[^A-Za-z0-9_]/g, '_'), { summary: `Tutorial ${section}: ${words.join(' ')}`, value: JSON.parse(fs.readFileSync(EXAMPLES_DIR + f, 'utf8')) }];
    }),
  );
}

/** Tutorial 1's model with its first layer's units and Adam's learning rate as hyperparameters. */
function tutorialSweep(job: unknown) {
  const base = structuredClone(job) as { model: { layers: Array<{ config: Record<string, unknown> }> }; compile: { optimizer: { config: Record<string, unknown> } } };
  base.model.layers[0].config.units = { $hp: 'units' };
  base.compile.optimizer.config.learning_rate = { $hp: 'learning_rate' };
  return {
    base,
    search_space: { units: { type: 'int', min: 32, max: 256, step: 32 }, learning_rate: { type: 'float', min: 1e-4, max: 1e-2, sampling: 'log' } },
    algorithm: { class_name: 'RandomSearch', config: { seed: 1 } },
    objective: { name: 'val_loss', direction: 'min' },
    max_trials: 16,
    max_parallel_trials: 2,
  };
}

export function requestExamples(): Record<string, Record<string, Example>> {
  const jobs = tutorialJobs();
  const section2 = jobs['2_evaluate_and_predict'].value as { evaluate: unknown; predict: unknown };
  const ttl = { one_day: { summary: 'Remove it a day from now', value: { ttl_s: 86_400 } }, keep: { summary: 'Keep it until deleted', value: { ttl_s: null } } };
  return {
    createJob: jobs,
    evaluateModel: { tutorial_2: { summary: 'Tutorial 2: model.evaluate(x_test, y_test, batch_size=128)', value: section2.evaluate } },
    predictWithModel: { tutorial_2: { summary: 'Tutorial 2: model.predict(x_test[:3])', value: section2.predict } },
    createSweep: {
      tutorial_1_random_search: { summary: 'RandomSearch over tutorial 1: units of the first layer and the learning rate', value: tutorialSweep(jobs['1a_first_model_validation_data'].value) },
      tutorial_1_with_asha: {
        summary: 'The same, with lagging trials stopped by ASHA (rungs at epochs 1 and 2 of 5)',
        value: { ...tutorialSweep(jobs['1a_first_model_validation_data'].value), early_stopping: { class_name: 'ASHA', config: { grace_period: 1, reduction_factor: 2 } } },
      },
    },
    setModelTtl: ttl,
    setDatasetTtl: ttl,
  };
}
