import os, sys
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import tf_keras
import tf_keras.applications.imagenet_utils as _pub
from tf_keras.src.applications import imagenet_utils as _src
_pub.obtain_input_shape = _src.obtain_input_shape
sys.modules["keras"] = tf_keras
sys.modules["keras.applications.imagenet_utils"] = _pub
# zookeeper imports tensorflow_datasets only for dataset loading, which the
# zoo's model constructors never use; a stub keeps its heavy deps out.
import types as _types
_tfds = _types.ModuleType("tensorflow_datasets")
_tfds.decode = _types.SimpleNamespace(Decoder=object)
_tfds.core = _types.SimpleNamespace(splits=_types.SimpleNamespace(_SplitMerged=tuple))
sys.modules.setdefault("tensorflow_datasets", _tfds)

# larq 0.13.1 under tf-keras 2.16: a quantizer alias such as "approx_sign"
# deserializes to the quantizer *class*, which layers then call on a tensor
# (constructing an object instead of quantizing). Instantiate classes.
import larq.quantizers as _lqq

_deserialize = _lqq.deserialize


def _deserialize_instance(name, custom_objects=None):
    q = _deserialize(name, custom_objects)
    return q() if isinstance(q, type) else q


_lqq.deserialize = _deserialize_instance
