"""Links one service writes and another answers.

A marketing email (notifier) carries a one-click unsubscribe link the gateway answers (K2,
RFC 8058). Its token is ``KeyStore.blind_index(UNSUBSCRIBE_TOKEN_KIND, customer_id)``: a keyed
hash under the blind-index key both services hold, so a link cannot be forged for another
customer, and nothing needs to be stored to check it.
"""

UNSUBSCRIBE_TOKEN_KIND = "unsubscribe-marketing"  # noqa: S105 - a label, not a secret
