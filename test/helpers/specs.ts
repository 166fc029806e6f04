/** The Keras tutorial's models as job specs (sections 1 and 5/6). */
export function seedMlpJob(overrides: { epochs?: number; samples?: number } = {}) {
  const samples = overrides.samples ?? 1000;
  return {
    type: 'fit' as const,
    model: {
      inputs: [{ name: 'digits', shape: [32] }],
      layers: [
        { name: 'dense_1', class_name: 'Dense', config: { units: 64, activation: 'relu' }, inbound: ['digits'] },
        { name: 'dense_2', class_name: 'Dense', config: { units: 64, activation: 'relu' }, inbound: ['dense_1'] },
        { name: 'predictions', class_name: 'Dense', config: { units: 10 }, inbound: ['dense_2'] },
      ],
      outputs: ['predictions'],
    },
    compile: {
      optimizer: { class_name: 'Adam', config: { learning_rate: 0.001 } },
      loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } },
      metrics: ['accuracy'],
    },
    fit: {
      x: { random: { kind: 'uniform' as const, shape: [samples, 32], seed: 1 } },
      y: { random: { kind: 'randint' as const, shape: [samples], high: 10, seed: 2 } },
      batch_size: 32,
      epochs: overrides.epochs ?? 5,
      validation_data: {
        x: { random: { kind: 'uniform' as const, shape: [200, 32], seed: 3 } },
        y: { random: { kind: 'randint' as const, shape: [200], high: 10, seed: 4 } },
      },
    },
  };
}

export function multiIoJob(form: 'list' | 'dict' = 'list') {
  const x = {
    img_input: { random: { kind: 'uniform' as const, shape: [100, 32, 32, 3], seed: 5 } },
    ts_input: { random: { kind: 'uniform' as const, shape: [100, 20, 10], seed: 6 } },
  };
  const y = {
    score_output: { random: { kind: 'uniform' as const, shape: [100, 1], seed: 7 } },
    class_output: { random: { kind: 'uniform' as const, shape: [100, 5], seed: 8 } },
  };
  const losses = { score_output: 'mse', class_output: { class_name: 'CategoricalCrossentropy', config: { from_logits: true } } };
  return {
    type: 'fit' as const,
    model: {
      inputs: [
        { name: 'img_input', shape: [32, 32, 3] },
        { name: 'ts_input', shape: [20, 10] },
      ],
      layers: [
        { name: 'conv2d', class_name: 'Conv2D', config: { filters: 3, kernel_size: 3 }, inbound: ['img_input'] },
        { name: 'global_max_pooling2d', class_name: 'GlobalMaxPooling2D', inbound: ['conv2d'] },
        { name: 'conv1d', class_name: 'Conv1D', config: { filters: 3, kernel_size: 3 }, inbound: ['ts_input'] },
        { name: 'global_max_pooling1d', class_name: 'GlobalMaxPooling1D', inbound: ['conv1d'] },
        { name: 'concatenate', class_name: 'Concatenate', inbound: ['global_max_pooling2d', 'global_max_pooling1d'] },
        { name: 'score_output', class_name: 'Dense', config: { units: 1 }, inbound: ['concatenate'] },
        { name: 'class_output', class_name: 'Dense', config: { units: 5 }, inbound: ['concatenate'] },
      ],
      outputs: ['score_output', 'class_output'],
    },
    compile: {
      optimizer: { class_name: 'RMSprop', config: { learning_rate: 1e-3 } },
      loss: form === 'list' ? [losses.score_output, losses.class_output] : losses,
      ...(form === 'dict' ? { loss_weights: { score_output: 2.0, class_output: 1.0 } } : {}),
    },
    fit: {
      x: form === 'list' ? [x.img_input, x.ts_input] : x,
      y: form === 'list' ? [y.score_output, y.class_output] : y,
      batch_size: 32,
      epochs: 3,
    },
  };
}
