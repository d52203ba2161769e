"""fentanet's speed goals, measured side by side with the peers a user would otherwise use."""
