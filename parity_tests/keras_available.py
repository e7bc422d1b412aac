"""Import Keras for a test module, or skip that module with a clear reason when TensorFlow is absent."""
import pytest

tf = pytest.importorskip(
    "tensorflow", reason="TensorFlow is not installed: pip install -e '.[keras]' to run the Keras parity tests"
)
keras = pytest.importorskip("keras")
