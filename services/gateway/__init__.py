"""The OpenAI-compatible gateway's infrastructure: which deployment a request reaches
(targets.py, routing.py), what it costs the organization (accounting.py) and the refusals in
OpenAI's error shape (errors.py). The HTTP side is app/http/gateway/."""
