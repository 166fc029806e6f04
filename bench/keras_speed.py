"""Keras side of `npm run bench`: the same three workloads, steady-state samples/s (best epoch after
the first), printed as one JSON object. Run with a Python that has tensorflow-cpu==2.21.0."""
import json, sys, time
import numpy as np
import keras

WORKLOADS = {
    "seed_mlp": dict(shape=(32,), layers=[("dense", 64, "relu"), ("dense", 64, "relu"), ("dense", 10, None)], n=10_000, batch=32, epochs=8,
                     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"], y="classes"),
    "mlp784": dict(shape=(784,), layers=[("dense", 256, "relu"), ("dense", 128, "relu"), ("dense", 10, None)], n=20_000, batch=128, epochs=4,
                   loss="mse", metrics=[], y="dims"),
    "cnn": dict(shape=(28, 28, 1), layers=[("conv", 32, "relu"), ("pool",), ("conv", 64, "relu"), ("pool",), ("flatten",), ("dense", 10, None)], n=4096, batch=64, epochs=3,
                loss="mse", metrics=[], y="dims"),
}

class Timer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []
    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.t0)

def run(name):
    w = WORKLOADS[name]
    layers = [keras.Input(shape=w["shape"])]
    for spec in w["layers"]:
        if spec[0] == "dense": layers.append(keras.layers.Dense(spec[1], activation=spec[2]))
        elif spec[0] == "conv": layers.append(keras.layers.Conv2D(spec[1], 3, activation=spec[2]))
        elif spec[0] == "pool": layers.append(keras.layers.MaxPooling2D())
        else: layers.append(keras.layers.Flatten())
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss=w["loss"], metrics=w["metrics"])
    rng = np.random.default_rng(0)
    x = rng.random((w["n"],) + w["shape"], dtype=np.float32)
    y = rng.integers(0, 10, size=(w["n"],)) if w["y"] == "classes" else rng.random((w["n"], 10), dtype=np.float32)
    timer = Timer()
    model.fit(x, y, batch_size=w["batch"], epochs=w["epochs"], verbose=0, callbacks=[timer], shuffle=True)
    return w["n"] / min(timer.seconds[1:])

if __name__ == "__main__":
    names = sys.argv[1:] or list(WORKLOADS)
    print(json.dumps({name: run(name) for name in names}))
