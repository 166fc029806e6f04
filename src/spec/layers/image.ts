/** keras.layers.CenterCrop and Resizing on (batch, height, width, channels) images. */
import type * as TF from '@tensorflow/tfjs';
import { CHANNELS_LAST_ONLY, REQUIRED, ShapeError, known, oneOf, positiveInt, rank, type Cfg, type LayerDef, type Shape } from './layer-def.ts';
import { resizer, type ResizeMethod } from './resize.ts';

const IMAGES = '(batch, height, width, channels)';

/**
 * The centered window of the target's aspect ratio: [top, left, height, width]. Resizing's
 * crop_to_aspect_ratio divides in float32 (TensorFlow ops), CenterCrop's smart_resize in Python floats.
 */
function aspectCrop(h: number, w: number, th: number, tw: number, round: (x: number) => number): [number, number, number, number] {
  const ch = Math.max(Math.min(h, Math.trunc(round((w * th) / tw))), 1);
  const cw = Math.max(Math.min(w, Math.trunc(round((h * tw) / th))), 1);
  return [Math.trunc((h - ch) / 2), Math.trunc((w - cw) / 2), ch, cw];
}

/** The rows and columns of fill Keras puts on each side for pad_to_aspect_ratio (the same on both sides). */
function aspectPad(h: number, w: number, th: number, tw: number): [number, number] {
  const ph = Math.max(h, Math.trunc(Math.fround((w * th) / tw)));
  const pw = Math.max(w, Math.trunc(Math.fround((h * tw) / th)));
  return [Math.trunc((ph - h) / 2), Math.trunc((pw - w) / 2)];
}

const crop = (tf: typeof TF, x: TF.Tensor, [top, left, ch, cw]: number[]) => tf.slice(x, [0, top, left, 0], [-1, ch, cw, -1]);

/** Cropping to a window needs the image's height and width at submit. */
function knownSize(s: Shape): void {
  known(s[0], 'the image height');
  known(s[1], 'the image width');
}

function target(cfg: Cfg): [number, number] {
  return [positiveInt(cfg.height, 'height'), positiveInt(cfg.width, 'width')];
}

export const CenterCrop: LayerDef = {
  class_name: 'CenterCrop',
  keras: { data_format: 'channels_last', height: REQUIRED, width: REQUIRED },
  build_config: true,
  call_kwargs: { training: true },
  honours: { height: true, width: true, data_format: CHANNELS_LAST_ONLY },
  arity: 1,
  outputShape(cfg, inputs) {
    const s = rank(inputs, 3, IMAGES);
    const [th, tw] = target(cfg);
    knownSize(s);
    return [th, tw, s[2]];
  },
  graph: 'training',
  build(cfg, ctx) {
    const { tf, op, inputShape } = ctx;
    const [h, w] = [inputShape[1] as number, inputShape[2] as number];
    const [th, tw] = target(cfg);
    if (th <= h && tw <= w) return op({ call: ([x]) => crop(tf, x, [Math.floor((h - th) / 2), Math.floor((w - tw) / 2), th, tw]) });
    // A target larger than the image: Keras's smart_resize, the centered crop of the target's aspect ratio resized bilinearly.
    const window = aspectCrop(h, w, th, tw, (x) => x);
    const resize = resizer(ctx, 'bilinear', () => [th, tw]);
    return op({ call: ([x]) => resize(crop(tf, x, window)) });
  },
};

export const Resizing: LayerDef = {
  class_name: 'Resizing',
  keras: {
    data_format: 'channels_last', height: REQUIRED, width: REQUIRED, interpolation: 'bilinear', crop_to_aspect_ratio: false, pad_to_aspect_ratio: false,
    fill_mode: 'constant', fill_value: 0.0, antialias: false,
  },
  build_config: true,
  call_kwargs: { training: true },
  honours: {
    height: true, width: true, data_format: CHANNELS_LAST_ONLY,
    // bicubic, area and lanczos resize with kernels the engine does not have.
    interpolation: oneOf('bilinear', 'nearest'),
    crop_to_aspect_ratio: true,
    pad_to_aspect_ratio: true,
    // The value padded in by pad_to_aspect_ratio (Keras's only fill_mode is "constant").
    fill_value: (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number'),
  },
  arity: 1,
  outputShape(cfg, inputs) {
    const s = rank(inputs, 3, IMAGES);
    const [th, tw] = target(cfg);
    if (cfg.crop_to_aspect_ratio && cfg.pad_to_aspect_ratio) throw new ShapeError('crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be true', 'pad_to_aspect_ratio');
    if (cfg.crop_to_aspect_ratio || cfg.pad_to_aspect_ratio) knownSize(s);
    return [th, tw, s[2]];
  },
  graph: 'training',
  build(cfg, ctx) {
    const { tf, op, inputShape } = ctx;
    const [th, tw] = target(cfg);
    const resize = resizer(ctx, (cfg.interpolation ?? 'bilinear') as ResizeMethod, () => [th, tw]);
    const [h, w] = [inputShape[1] as number, inputShape[2] as number];
    if (cfg.crop_to_aspect_ratio) {
      const window = aspectCrop(h, w, th, tw, Math.fround);
      return op({ call: ([x]) => resize(crop(tf, x, window)) });
    }
    if (cfg.pad_to_aspect_ratio) {
      const [ph, pw] = aspectPad(h, w, th, tw);
      const fill = cfg.fill_value ?? 0;
      return op({ call: ([x]) => resize(tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]], fill)) });
    }
    return op({ call: ([x]) => resize(x) });
  },
};
