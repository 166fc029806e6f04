import os, json, collections
os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"
import keras
from keras import applications as A
ms = {
 "mobilenet": lambda: A.MobileNet(input_shape=(32,32,3), alpha=0.25, weights=None, classes=10),
 "mobilenet_v2": lambda: A.MobileNetV2(input_shape=(32,32,3), alpha=0.35, weights=None, classes=10),
 "mobilenet_v3_small": lambda: A.MobileNetV3Small(input_shape=(32,32,3), weights=None, classes=10),
 "mobilenet_v3_large": lambda: A.MobileNetV3Large(input_shape=(32,32,3), weights=None, classes=10),
 "resnet50": lambda: A.ResNet50(input_shape=(32,32,3), weights=None, classes=10),
 "resnet50_v2": lambda: A.ResNet50V2(input_shape=(32,32,3), weights=None, classes=10),
 "densenet121": lambda: A.DenseNet121(input_shape=(32,32,3), weights=None, classes=10),
 "efficientnet_b0": lambda: A.EfficientNetB0(input_shape=(32,32,3), weights=None, classes=10),
 "efficientnet_v2_b0": lambda: A.EfficientNetV2B0(input_shape=(32,32,3), weights=None, classes=10),
 "inception_v3": lambda: A.InceptionV3(input_shape=(75,75,3), weights=None, classes=10),
 "xception": lambda: A.Xception(input_shape=(71,71,3), weights=None, classes=10),
 "vgg16": lambda: A.VGG16(input_shape=(32,32,3), weights=None, classes=10),
 "nasnet_mobile": lambda: A.NASNetMobile(input_shape=(32,32,3), weights=None, classes=10),
}
allc = collections.defaultdict(lambda: collections.defaultdict(set))
for n, f in ms.items():
    m = f()
    cfg = m.get_config()
    classes = collections.Counter(l["class_name"] for l in cfg["layers"])
    print(n, m.count_params(), dict(classes))
    for l in cfg["layers"]:
        for k, v in l["config"].items():
            if k in ("name","trainable","dtype"): continue
            allc[l["class_name"]][k].add(json.dumps(v, sort_keys=True)[:120])
for c, ks in allc.items():
    print("==", c)
    for k, vs in ks.items(): print("   ", k, sorted(vs)[:6])
