import os, sys, json
sys.path.insert(0, '/work/main/test/fixtures/zoo')
os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"
import make_zoo as Z, keras, numpy as np
name = sys.argv[1]
m = keras.models.load_model(f'/work/main/test/fixtures/zoo/{name}.keras')
lr = float(sys.argv[2])
for l in m.layers:
    if isinstance(l, keras.layers.BatchNormalization) and os.environ.get("FREEZE"): l.trainable = False
m.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=Z.ZOO[name][3])
xs, ys = Z.data(name)
h = m.fit(xs if len(xs) > 1 else xs[0], ys[0], batch_size=16, epochs=2, shuffle=False, verbose=0).history
print(name, os.environ.get("TF_ENABLE_ONEDNN_OPTS"), h["loss"])
