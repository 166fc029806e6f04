"""Keras side of `npm run bench`'s keras.applications rows: builds the application (weights=None,
10 classes, logits), saves it as a .keras file for the service to import, and trains it on random
data with Keras: steady-state samples/s (best epoch after the first) as one JSON line.

    python bench/keras_apps_speed.py NAME OUT.keras BATCH STEPS EPOCHS

NAME: mobilenet_v2 (alpha 0.35, 32x32) or resnet50 (32x32). Run with a Python that has
tensorflow-cpu==2.21.0."""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_speed import Timer  # noqa: E402  (the same epoch timer as the MLP/CNN rows)

APPS = {
    "mobilenet_v2": lambda: keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=10, classifier_activation=None),
    "resnet50": lambda: keras.applications.ResNet50(input_shape=(32, 32, 3), weights=None, classes=10, classifier_activation=None),
}


def main(name, out, batch, steps, epochs):
    keras.utils.set_random_seed(0)
    model = APPS[name]()
    model.save(out)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    n = batch * steps
    x = rng.random((n, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, size=(n,))
    timer = Timer()
    model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=True, verbose=0, callbacks=[timer])
    print(json.dumps({"name": name, "params": model.count_params(), "samples_per_s": n / min(timer.seconds[1:]),
                      "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
