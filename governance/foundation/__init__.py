"""Foundation controls: data sources, risk tier, the control catalogue, checklists and gate evidence."""
