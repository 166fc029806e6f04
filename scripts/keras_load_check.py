"""Loads a .keras file with real Keras and checks that it predicts what it should.

    python scripts/keras_load_check.py MODEL.keras CASE.json [--atol 1e-5] [--rtol 1e-5] [--no-compile]

CASE.json holds "inputs" (one array, or an object of arrays keyed by input name, or a list of
arrays for several inputs), optional "input_dtype" (default float32) and "expected" (the outputs;
a list for several outputs; with "flat": true, every output's values flattened into one list). If it also holds "layers" (as the golden files in
test/fixtures/keras/archives/ do: per layer its name and per weight array its shape, sum and first
values), every layer's loaded weights are compared with those too, so a weight Keras silently left
at its initial value shows up even where predictions might not.

Prints one JSON object (ok, max_abs_diff, problems, keras warnings) and exits 0 when everything
matched, 1 when not, 2 when the file could not be loaded.
"""

import argparse
import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def as_inputs(spec, dtype):
    import numpy as np

    if isinstance(spec, dict):
        return {k: np.asarray(v, dtype=dtype) for k, v in spec.items()}
    if isinstance(spec, list) and spec and isinstance(spec[0], dict):
        raise ValueError("inputs: a list of objects is not an array")
    return np.asarray(spec, dtype=dtype)


def compare_outputs(got, expected, atol, rtol):
    import numpy as np

    got_list = got if isinstance(got, (list, tuple)) else [got]
    exp_list = expected if len(got_list) > 1 else [expected]
    problems = []
    worst = 0.0
    for i, (g, e) in enumerate(zip(got_list, exp_list)):
        g = np.asarray(g, dtype=np.float64)
        e = np.asarray(e, dtype=np.float64)
        if g.shape != e.shape:
            problems.append(f"output {i}: shape {list(g.shape)}, expected {list(e.shape)}")
            continue
        diff = np.abs(g - e)
        worst = max(worst, float(diff.max()) if diff.size else 0.0)
        if not np.all(diff <= atol + rtol * np.abs(e)):
            problems.append(f"output {i}: max abs diff {float(diff.max()):.3g} exceeds atol {atol} + rtol {rtol}")
    return worst, problems


def compare_weights(model, layers):
    import numpy as np

    problems = []
    by_name = {layer.name: layer for layer in model.layers}
    for want in layers:
        layer = by_name.get(want["name"])
        if layer is None:
            problems.append(f"layer {want['name']}: not in the loaded model")
            continue
        got = layer.get_weights()
        if len(got) != len(want["weights"]):
            problems.append(f"layer {want['name']}: {len(got)} weight arrays, expected {len(want['weights'])}")
            continue
        for i, (g, w) in enumerate(zip(got, want["weights"])):
            if list(g.shape) != w["shape"]:
                problems.append(f"layer {want['name']}[{i}]: shape {list(g.shape)}, expected {w['shape']}")
                continue
            flat = np.asarray(g, dtype=np.float32).ravel()
            head = [float(v) for v in flat[: len(w["head"])]]
            total = float(np.asarray(g, dtype=np.float64).sum())
            scale = float(np.abs(np.asarray(g, dtype=np.float64)).sum()) + 1e-12
            if head != w["head"] or abs(total - w["sum"]) > 1e-6 * scale:
                problems.append(f"layer {want['name']}[{i}]: values differ (sum {total}, expected {w['sum']})")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("case")
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--no-compile", action="store_true", help="load with compile=False")
    args = parser.parse_args()

    with open(args.case) as f:
        case = json.load(f)

    import keras

    result = {"model": args.model, "keras_version": keras.__version__}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = keras.saving.load_model(args.model, compile=not args.no_compile)
        except Exception as err:  # noqa: BLE001 - any failure to load is the answer
            result.update(ok=False, error=f"{type(err).__name__}: {err}")
            print(json.dumps(result, indent=1))
            return 2
        x = as_inputs(case["inputs"], case.get("input_dtype", "float32"))
        got = model.predict(x, verbose=0)
    if case.get("flat"):
        import numpy as np

        got = np.concatenate([np.asarray(g).ravel() for g in (got if isinstance(got, (list, tuple)) else [got])])
    worst, problems = compare_outputs(got, case["expected"], args.atol, args.rtol)
    if "layers" in case:
        problems += compare_weights(model, case["layers"])
    result.update(
        ok=not problems,
        max_abs_diff=worst,
        problems=problems,
        warnings=sorted({str(w.message).split("\n")[0] for w in caught}),
    )
    print(json.dumps(result, indent=1))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
