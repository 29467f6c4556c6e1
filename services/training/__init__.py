"""Training that runs on the worker tier (docs/training.md): `startTrainingJob` queues a run
on `model_training`; a worker reads the dataset version's file, fits a scikit-learn classifier,
records its metrics per iteration as `reportRunMetrics` does, and registers a model version
with its ONNX export.

scikit-learn is imported only where a model is fitted, never by the API server.
"""
