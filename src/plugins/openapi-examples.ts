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

export function requestExamples(): Record<string, Record<string, Example>> {
  const jobs = tutorialJobs();
  const section2 = jobs['2_evaluate_and_predict'].value as { evaluate: unknown; predict: unknown };
  const ttl = { one_day: { summary: 'Remove it a day from now', value: { ttl_s: 86_400 } }, keep: { summary: 'Keep it until deleted', value: { ttl_s: null } } };
  return {
    createJob: jobs,
    evaluateModel: { tutorial_2: { summary: 'Tutorial 2: model.evaluate(x_test, y_test, batch_size=128)', value: section2.evaluate } },
    predictWithModel: { tutorial_2: { summary: 'Tutorial 2: model.predict(x_test[:3])', value: section2.predict } },
    setModelTtl: ttl,
    setDatasetTtl: ttl,
  };
}
