"""cae-scratch: contractive autoencoders with hand-written backprop, on NumPy, CuPy or any array-API backend."""
from .backend import available_backends, cupy_usable, to_numpy
from .classifier import TangentClassifier
from .conv_model import ConvCAE
from .core.activations import ACTIVATIONS, get_activation
from .core.network import Spec
from .gradcheck import assert_gradients_close, check_gradients, directional_check, rel_error
from .model import ContractiveAutoencoder, check_model_gradients
from .stack import StackedCAE
from .train import TrainingDivergedError, TrainingInterrupted

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS", "ContractiveAutoencoder", "ConvCAE", "Spec", "StackedCAE", "TangentClassifier",
    "TrainingDivergedError", "TrainingInterrupted",
    "assert_gradients_close", "available_backends", "check_gradients", "check_model_gradients",
    "cupy_usable", "directional_check", "get_activation", "rel_error", "to_numpy",
]
