"""The shadow-AI register: unsanctioned AI use, triaged against the sanctioned path that replaces it."""
