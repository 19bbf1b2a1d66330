"""The gateway's rules, pure Python: what a request may carry (body rules, card data at the
edge), who may make it, how a retry maps to the same stream, how a webhook proves where it
came from, when a policy version may take effect, and what a customer's consents allow."""
