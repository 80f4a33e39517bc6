"""The hooks the core calls on proposals (see civic.resources.ResourceType). Owned by proposals' services."""

HOOKS: dict = {}
