"""The composition root: settings, the services built from them, the aiohttp server, the
command line and the wiring of each platform. The only package that imports adapters,
storage and ml (import-linter contracts enforce it)."""
