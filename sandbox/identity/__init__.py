"""The sandbox Google identity provider: OpenID discovery, the account chooser, tokens, revocation."""
