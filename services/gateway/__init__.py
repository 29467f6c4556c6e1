"""The OpenAI-compatible gateway's infrastructure, shared with chats on a deployment: which
deployment a call reaches (admission.py, over targets.py and routing.py), what it costs the
organization (accounting.py) and the refusals in OpenAI's error shape (errors.py). The HTTP
side is app/http/gateway/."""
