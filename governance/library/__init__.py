"""The reusable-asset library: assets, their versions and labels, and the reuse gate criteria."""
