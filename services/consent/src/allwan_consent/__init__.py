"""Consent and policy: each customer's consent ledger with its proof, withdrawal by every
channel the policy names, and the versioned privacy policy (K1-K3, CK1, CK2, C2, PC1, CT1)."""
