"""Mail: templates in the recipient's language, the outbox rows, and the SMTP sender.

A mail is queued (`outbox.queue_mail`) in the transaction that decided to send it, so a
rolled-back invitation mails nobody; `sender.send_pending_mail` delivers the outbox.
"""
