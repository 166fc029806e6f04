import os, json
os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"
import keras
from keras import layers as L
import numpy as np
cases = {
 "ReLU": (L.ReLU(), (4,)), "LeakyReLU": (L.LeakyReLU(), (4,)), "PReLU": (L.PReLU(), (3,4)), "ELU": (L.ELU(), (4,)), "Softmax": (L.Softmax(), (4,)),
 "DepthwiseConv2D": (L.DepthwiseConv2D(3), (8,8,3)), "DepthwiseConv1D": (L.DepthwiseConv1D(3), (8,3)),
 "SeparableConv2D": (L.SeparableConv2D(4,3), (8,8,3)), "SeparableConv1D": (L.SeparableConv1D(4,3), (8,3)),
 "Conv2DTranspose": (L.Conv2DTranspose(4,3), (8,8,3)), "Conv1DTranspose": (L.Conv1DTranspose(4,3), (8,3)),
 "ZeroPadding2D": (L.ZeroPadding2D(), (8,8,3)), "ZeroPadding1D": (L.ZeroPadding1D(), (8,3)),
 "Cropping2D": (L.Cropping2D(), (8,8,3)), "Cropping1D": (L.Cropping1D(), (8,3)),
 "UpSampling2D": (L.UpSampling2D(), (8,8,3)), "UpSampling1D": (L.UpSampling1D(), (8,3)),
 "Permute": (L.Permute((2,1)), (8,3)), "RepeatVector": (L.RepeatVector(3), (4,)),
 "Rescaling": (L.Rescaling(0.5), (4,)), "Normalization": (L.Normalization(), (4,)),
 "Subtract": (L.Subtract(), None), "MultiHeadAttention": (L.MultiHeadAttention(2, 4), None),
 "Bidirectional": (L.Bidirectional(L.LSTM(3)), (5,2)),
 "UnitNormalization": (L.UnitNormalization(), (4,)), "GroupNormalization": (L.GroupNormalization(groups=2), (4,)),
 "SpatialDropout1D": (L.SpatialDropout1D(0.1), (5,4)), "GaussianNoise": (L.GaussianNoise(0.1), (4,)), "GaussianDropout": (L.GaussianDropout(0.1),(4,)),
 "Dot": (L.Dot(axes=1), None), "TimeDistributed": (L.TimeDistributed(L.Dense(2)), (5,3)),
}
for n,(l,s) in cases.items():
    if n in ("Subtract", "Dot"):
        a=keras.Input((4,)); b=keras.Input((4,)); l([a,b])
    elif n=="MultiHeadAttention":
        a=keras.Input((5,6)); l(a,a)
    else:
        l(keras.Input(s))
    c = l.get_config()
    for k in ("name","trainable","dtype"): c.pop(k, None)
    print(n, json.dumps(c)[:900])
    print("   W:", [(w.path.split('/')[-1] if hasattr(w,'path') else w.name, tuple(w.shape), w.trainable) for w in l.weights])
